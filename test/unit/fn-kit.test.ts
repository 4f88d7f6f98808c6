// The function kit for real: `acheron fn init` scaffolds a project in a temporary directory, its
// node_modules get this acheron and this repository's assemblyscript (linked, not installed from the
// registry), then `acheron fn build` compiles the scaffolded AssemblyScript and `acheron fn test` runs
// its tests on an embedded engine. Then the failures: a compile error, a failing test, misuse.
import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'
import { registrableExports } from '../../src/wasm-exec/module-exports.js'
import { tempDir } from '../support/tmp.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js')
/** A safety net against a hung child, not a measurement: a cold asc build plus a test run takes ~15 s. */
const CHILD_TIMEOUT_MS = 5 * 60_000

interface Run { code: number | null; stdout: string; stderr: string }

function acheron(args: readonly string[], cwd: string): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1' } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function describe(args: readonly string[], r: Run): string {
  return `\n  acheron ${args.join(' ')}\n  exit ${String(r.code)}\n  stdout: ${r.stdout}\n  stderr: ${r.stderr}`
}

// An apostrophe in the project's path: the scaffolded test pasted the path into an SQL string unescaped, and
// every test failed with "unterminated string literal".
const tmp = tempDir("acheron-fnkit-o'brien-")
const project = join(tmp.dir, 'demo')
test.after(() => tmp.cleanup())

test('fn init scaffolds an AssemblyScript project', () => {
  const args = ['fn', 'init', 'demo', '--acheron-spec', `file:${ROOT}`]
  const r = acheron(args, tmp.dir)
  assert.is(r.code, 0, describe(args, r))
  for (const f of ['package.json', 'functions/counter.ts', 'functions/tsconfig.json', 'test/counter.test.mjs', '.gitignore', 'README.md']) {
    assert.ok(existsSync(join(project, f)), `${f} was written`)
  }
  const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as Record<string, Record<string, string>>
  const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>
  assert.equal(pkg.dependencies, { acheron: `file:${ROOT}` })
  assert.equal(pkg.devDependencies, { assemblyscript: own.devDependencies?.assemblyscript })
  assert.equal(pkg.scripts, { build: 'acheron fn build', test: 'acheron fn test' })
  assert.match(readFileSync(join(project, 'functions/counter.ts'), 'utf8'), /from "acheron\/guest\/acheron"/)

  // What `npm install` would give, without the registry: this acheron and its assemblyscript.
  mkdirSync(join(project, 'node_modules'))
  symlinkSync(ROOT, join(project, 'node_modules', 'acheron'), 'dir')
  symlinkSync(join(ROOT, 'node_modules', 'assemblyscript'), join(project, 'node_modules', 'assemblyscript'), 'dir')

  const again = acheron(args, tmp.dir)
  assert.is(again.code, 1, describe(args, again))
  assert.match(again.stderr, /^acheron fn: .*demo exists and is not an empty directory: choose another NAME\n$/)
})

test('fn build compiles functions/*.ts with the project\'s assemblyscript', () => {
  const r = acheron(['fn', 'build'], join(project, 'test')) // from a subdirectory: the project is found upwards
  assert.is(r.code, 0, describe(['fn', 'build'], r))
  assert.match(r.stdout, /compiling with assemblyscript \d+\.\d+\.\d+ \(.*demo\/node_modules\/assemblyscript\)/)
  assert.match(r.stdout, /functions\/counter\.ts → build\/counter\.wasm \(\d+ bytes\): functions get, add/)
  const wasm = new Uint8Array(readFileSync(join(project, 'build', 'counter.wasm')))
  assert.equal(registrableExports(wasm), ['get', 'add'])
})

test('fn build --max-memory: the modules declare that maximum, and registration asks for MEMORY to match', async () => {
  const args = ['fn', 'build', '--max-memory', String(32 * 1024 * 1024)]
  const r = acheron(args, project)
  assert.is(r.code, 0, describe(args, r))
  assert.match(r.stdout, /note: the modules declare up to 33554432 bytes of memory: register their functions WITH \(MEMORY = 33554432\)/)
  const wasm = new Uint8Array(readFileSync(join(project, 'build', 'counter.wasm')))
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)')
    const refused = await db.createFunction('counter.add', wasm, { export: 'add' }).then(() => null, (e: unknown) => e as AcheronError)
    assert.ok(refused instanceof AcheronError, 'a 32 MiB maximum is above the default MEMORY')
    assert.match(refused.message, /register it WITH \(MEMORY = 33554432\)/)
    await db.createFunction('counter.add', wasm, { export: 'add', memory: 32 * 1024 * 1024 })
  } finally {
    await db.close()
  }
  for (const bad of ['1000', '0', String(512 * 1024 * 1024), 'lots']) {
    const b = acheron(['fn', 'build', '--max-memory', bad], project)
    assert.is(b.code, 2, describe(['fn', 'build', '--max-memory', bad], b))
    assert.match(b.stderr, /--max-memory is a number of bytes, a multiple of 65536/)
  }
  const back = acheron(['fn', 'build'], project)
  assert.is(back.code, 0, describe(['fn', 'build'], back))
  assert.not.match(back.stdout, /note:/)
})

test('fn test builds and runs the scaffolded tests on an embedded engine', () => {
  const r = acheron(['fn', 'test'], project)
  assert.is(r.code, 0, describe(['fn', 'test'], r))
  assert.match(r.stdout, /add and get/)
  assert.match(r.stdout, /log\(\) lines come back WITH LOGS/)
  assert.match(r.stdout, /an amount that is not an INTEGER aborts and changes nothing/)
  assert.ok(r.stdout.trimEnd().endsWith('5 passed, 0 failed'), r.stdout)
})

test('fn build removes a module whose source is gone: fn test then fails instead of testing the old module', () => {
  renameSync(join(project, 'functions', 'counter.ts'), join(project, 'functions', 'ctr.ts'))
  try {
    const r = acheron(['fn', 'build'], project)
    assert.is(r.code, 0, describe(['fn', 'build'], r))
    assert.match(r.stdout, /functions\/ctr\.ts → build\/ctr\.wasm/)
    assert.match(r.stdout, /removed build\/counter\.wasm: no functions\/counter\.ts, \.rs or \.c builds it any more/)
    assert.equal(readdirSync(join(project, 'build')).filter((f) => f.endsWith('.wasm')), ['ctr.wasm'])
    const t = acheron(['fn', 'test'], project)
    assert.is(t.code, 1, `the scaffolded tests load build/counter.wasm, which is gone${describe(['fn', 'test'], t)}`)
  } finally {
    renameSync(join(project, 'functions', 'ctr.ts'), join(project, 'functions', 'counter.ts'))
  }
  const r = acheron(['fn', 'build'], project)
  assert.is(r.code, 0, describe(['fn', 'build'], r))
  assert.match(r.stdout, /removed build\/ctr\.wasm/)
})

test('fn test: a failing test is counted and exits 1', () => {
  const failing = join(project, 'test', 'wrong.test.mjs')
  writeFileSync(failing, `import { test } from 'node:test'
import assert from 'node:assert/strict'
import { open } from 'acheron'
test('counts wrongly', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql("CREATE TABLE counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0); CREATE FUNCTIONS counter.(add) FROM WASM FILE 'build/counter.wasm'")
    assert.equal((await db.call('counter.add', 'k', 2)).value, 3)
  } finally {
    await db.close()
  }
})
`)
  const r = acheron(['fn', 'test'], project)
  assert.is(r.code, 1, describe(['fn', 'test'], r))
  assert.ok(r.stdout.trimEnd().endsWith('5 passed, 1 failed'), r.stdout)
})

test('fn build: a module registration would refuse (an import outside the ABI) fails the build, naming it', () => {
  const extra = join(project, 'functions', 'traced.ts')
  writeFileSync(extra, 'export function noisy(): void { trace("hello"); }\nexport function dice(): void { trace("roll", 1, Math.random()); }\n')
  const r = acheron(['fn', 'build'], project)
  assert.is(r.code, 1, describe(['fn', 'build'], r))
  // Every refused import at once (trace and Math.random's seed), not the first and then, after a fix, the next.
  assert.match(r.stderr, /functions\/traced\.ts: compiled, but Acheron would refuse the module: WASM_IMPORT_NOT_ALLOWED: 2 imports are not allowed, env\.(trace|seed) \([^\n]* and env\.(seed|trace) \(/)
  assert.match(r.stderr, /Math\.random/)
  assert.not.ok(existsSync(join(project, 'build', 'traced.wasm')))
  assert.match(r.stdout, /functions\/counter\.ts → build\/counter\.wasm/, 'the other modules still build')
  rmSync(extra)
})

test('fn build: a compile error names the file and line, removes the stale module and exits 1', () => {
  appendFileSync(join(project, 'functions', 'counter.ts'), '\nexport function broken(): void { const x: i32 = "text"; }\n')
  const r = acheron(['fn', 'build'], project)
  assert.is(r.code, 1, describe(['fn', 'build'], r))
  assert.match(r.stderr, /functions\/counter\.ts: the build failed/)
  assert.match(r.stderr, /TS2322[\s\S]*functions\/counter\.ts\(\d+,\d+\)/)
  assert.not.ok(existsSync(join(project, 'build', 'counter.wasm')), 'no stale module passes for the new source')
  const t = acheron(['fn', 'test'], project)
  assert.is(t.code, 1, describe(['fn', 'test'], t))
  assert.match(t.stdout, /0 passed, 0 failed \(the build failed: no test ran\)/)
})

test('fn: misuse is exit 2 with the usage; no project is exit 1', () => {
  for (const args of [['fn', 'init', 'Upper'], ['fn', 'init', 'x', '--lang', 'cobol'], ['fn', 'init'], ['fn', 'frobnicate']]) {
    const r = acheron(args, tmp.dir)
    assert.is(r.code, 2, describe(args, r))
    assert.match(r.stderr, /usage: acheron fn/)
  }
  // Names of the right shape that npm would refuse at the project's first install: nothing is made.
  for (const [name, why] of [['node_modules', /npm reserves it/], ['acheron', /depends on the package acheron/]] as const) {
    const r = acheron(['fn', 'init', name], tmp.dir)
    assert.is(r.code, 2, describe(['fn', 'init', name], r))
    assert.match(r.stderr, why)
    assert.not.ok(existsSync(join(tmp.dir, name, 'package.json')), `${name}: no project made`)
  }
  const none = acheron(['fn', 'build'], tmp.dir)
  assert.is(none.code, 1, describe(['fn', 'build'], none))
  assert.match(none.stderr, /no function project here/)
  const help = acheron(['fn', '--help'], tmp.dir)
  assert.is(help.code, 0)
  assert.match(help.stdout, /^usage: acheron fn <init\|build\|test>/)
})

test.run()
