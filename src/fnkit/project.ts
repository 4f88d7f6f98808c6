// What a function project is on disk (docs/functions.md, "The function kit"): package.json at its
// root, modules in functions/NAME.ts (AssemblyScript), NAME.rs (Rust) or NAME.c (C), each built into
// build/NAME.wasm, tests in test/*.test.mjs.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join, resolve } from 'node:path'

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

export type Language = 'assemblyscript' | 'rust' | 'c'
/** A module's language by its source's extension. */
export const SOURCE_EXTENSIONS: Readonly<Record<string, Language>> = { '.ts': 'assemblyscript', '.rs': 'rust', '.c': 'c' }

export interface ModuleSource {
  /** The file name inside functions/ (counter.rs). */
  readonly file: string
  /** The module's name, which is its build/NAME.wasm (counter). */
  readonly name: string
  readonly language: Language
}

/**
 * The module sources, sorted: each file directly in functions/ whose extension names a language is one
 * module (tsconfig.json and .d.ts left out). Subdirectories hold what modules share (a Rust `#[path]`
 * module, a C header, an imported AssemblyScript file) and are not modules themselves.
 */
export function moduleSources(project: string): ModuleSource[] {
  const dir = join(project, FUNCTIONS_DIR)
  const out: ModuleSource[] = []
  for (const file of readdirSync(dir).sort()) {
    const ext = extname(file)
    const language = SOURCE_EXTENSIONS[ext]
    if (language === undefined || file.endsWith('.d.ts') || !statSync(join(dir, file)).isFile()) continue
    out.push({ file, name: file.slice(0, -ext.length), language })
  }
  return out
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

/**
 * Why the project's tests cannot import `pkg` (the package its package.json depends on, which they open
 * an engine with): not installed, from the project's directory up, as node resolves it. Null when it is, or
 * when package.json does not ask for it. Run before the tests, each of which would otherwise fail on
 * node's ERR_MODULE_NOT_FOUND stack trace.
 */
export function uninstalledDependency(project: string, pkg: string): string | null {
  let manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
  try {
    manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as typeof manifest
  } catch {
    return null
  }
  const spec = manifest.dependencies?.[pkg] ?? manifest.devDependencies?.[pkg]
  if (spec === undefined) return null
  try {
    createRequire(join(project, 'package.json')).resolve(`${pkg}/package.json`)
    return null
  } catch {
    return `the tests import ${pkg} (package.json asks for ${pkg} ${spec}), which is not installed here: run npm install in ${project}`
  }
}
