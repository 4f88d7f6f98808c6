// What a function project is on disk (docs/functions.md, "The function kit"): package.json at its
// root, AssemblyScript modules in functions/*.ts, built into build/*.wasm, tests in test/*.test.mjs.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export const FUNCTIONS_DIR = 'functions'
export const BUILD_DIR = 'build'
export const TEST_DIR = 'test'
/** Test files `acheron fn test` runs (node's test runner). */
export const TEST_FILE = /\.test\.(mjs|js|cjs)$/

export class ProjectError extends Error {}

/** The project holding `from`: the nearest directory upwards with a package.json and functions/. */
export function findProject(from: string): string {
  for (let d = resolve(from); ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, FUNCTIONS_DIR))) return d
    if (dirname(d) === d) break
  }
  throw new ProjectError(`no function project here: ${resolve(from)} and the directories above it have no package.json with a ${FUNCTIONS_DIR}/ directory beside it (acheron fn init NAME makes one)`)
}

/** The module sources, sorted: functions/NAME.ts, one module each (tsconfig.json and .d.ts left out). */
export function moduleSources(project: string): string[] {
  const dir = join(project, FUNCTIONS_DIR)
  return readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && statSync(join(dir, f)).isFile()).sort()
}

/** The test files under test/, sorted, as paths relative to the project. */
export function testFiles(project: string): string[] {
  const out: string[] = []
  const walk = (rel: string): void => {
    const abs = join(project, rel)
    if (!existsSync(abs)) return
    for (const name of readdirSync(abs).sort()) {
      const r = join(rel, name)
      if (name === 'node_modules') continue
      if (statSync(join(project, r)).isDirectory()) walk(r)
      else if (TEST_FILE.test(name)) out.push(r)
    }
  }
  walk(TEST_DIR)
  return out
}
