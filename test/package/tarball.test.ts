// The package as a user gets it: `npm pack` of this repository (after the build `npm test` runs first),
// `npm install` of that tarball into a fresh npm project in a temporary directory, then, from that
// project: the `acheron` bin, the README's TypeScript examples verbatim (importing `acheron` by name
// from node_modules, as readme-examples.test.ts does from the clone), and `acheron serve` with its
// browser console and a console client. What only the clone has (tests, sources outside `files`) is not
// there to hide a packaging mistake.
//
// Speed, measured on the 2-core machine (2026-12-01): pack ~5 s, install ~14 s, the rest ~10 s.
// - `npm pack --ignore-scripts`: the `prepare` script would run the whole build again; the tests run on
//   a fresh build already.
// - `npm install --prefer-offline`: the dependencies come from npm's cache (~/.npm, filled by this
//   clone's own install) when it has them, from the registry otherwise. The install really unpacks and
//   links the tarball and every dependency.
// - `--ignore-scripts`, then better-sqlite3's native addon copied from this clone's build when the
//   installed better-sqlite3 is the same version (it compiles with node-gyp for ~2 minutes otherwise:
//   there is no prebuilt binary here, FACTS.md). A different version is rebuilt with `npm rebuild`
//   instead, slowly but honestly. acheron itself has no install script to skip.
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readmeExamples } from '../support/readme.js'
import { tempDir } from '../support/tmp.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const OWN = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string }
/** Safety nets against a hung npm or child, not measurements (see the header for those). */
const NPM_TIMEOUT_MS = 6 * 60_000
const CHILD_TIMEOUT_MS = 60_000
const READY_TIMEOUT_MS = 20_000

const tmp = tempDir('acheron-tarball-')
test.after(() => tmp.cleanup())
const project = join(tmp.dir, 'app')

interface Run { code: number | null; stdout: string; stderr: string; ms: number }

function run(cmd: string, args: readonly string[], cwd: string, timeoutMs = CHILD_TIMEOUT_MS): Run {
  const started = Date.now()
  // npm_config_* set by an enclosing `npm test` (its prefix, its workspaces) must not steer the inner npm.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')))
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 })
  return { code: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error !== undefined ? `\n${r.error.message}` : ''}`, ms: Date.now() - started }
}

function describe(what: string, r: Run): string {
  return `\n  ${what}\n  exit ${String(r.code)} after ${r.ms} ms\n  stdout: ${r.stdout.slice(-4000)}\n  stderr: ${r.stderr.slice(-4000)}`
}

let tarball = ''

test('npm pack: the tarball has the built package and its guests, and nothing of the tests', () => {
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], ROOT, NPM_TIMEOUT_MS)
  assert.is(r.code, 0, describe('npm pack', r))
  const [packed] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[]
  assert.ok(packed !== undefined, r.stdout)
  tarball = join(tmp.dir, packed.filename)
  assert.ok(existsSync(tarball), tarball)
  const files = new Set(packed.files.map((f) => f.path))
  for (const f of ['package.json', 'README.md', 'dist/src/index.js', 'dist/src/cli/main.js', 'dist/guest/bank.wasm',
    'dist/console/console.js', 'static/console/index.html', 'guest/acheron.ts', 'guest/rust/Cargo.toml', 'guest/c/acheron.h',
    'guest/wat/counter.wat', 'dist/guest/counter.wasm', 'docs/functions.md']) {
    assert.ok(files.has(f), `${f} is packed`)
  }
  const strays = [...files].filter((f) => f.startsWith('dist/test/') || f.startsWith('test/') || f.startsWith('src/') || f.startsWith('node_modules/'))
  assert.equal(strays, [], 'no tests, TypeScript sources or node_modules in the package')
})

test('npm install of the tarball into a fresh project', () => {
  assert.ok(tarball !== '', 'packed first')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }, null, 2))
  const r = run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], project, NPM_TIMEOUT_MS)
  assert.is(r.code, 0, describe(`npm install ${tarball}`, r))
  console.log(`npm install of the tarball: ${r.ms} ms`)
  const installed = join(project, 'node_modules', 'acheron')
  assert.is((JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string }).version, OWN.version)
  assert.not.ok(existsSync(join(installed, 'test')) || existsSync(join(installed, 'dist', 'test')), 'no tests installed')
  const deps = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  assert.match(deps.dependencies.acheron ?? '', /^file:.*\.tgz$/, 'the dependency is the tarball, not this clone')

  // better-sqlite3's native addon: this clone's build when it is the same version, else compiled here.
  const sqliteDir = join(project, 'node_modules', 'better-sqlite3')
  const version = (dir: string): string => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version
  const ownSqlite = join(ROOT, 'node_modules', 'better-sqlite3')
  if (version(sqliteDir) === version(ownSqlite)) {
    mkdirSync(join(sqliteDir, 'build', 'Release'), { recursive: true })
    copyFileSync(join(ownSqlite, 'build', 'Release', 'better_sqlite3.node'), join(sqliteDir, 'build', 'Release', 'better_sqlite3.node'))
  } else {
    console.log(`better-sqlite3 ${version(sqliteDir)} installed, ${version(ownSqlite)} in the clone: compiling it (~2 minutes)`)
    const b = run('npm', ['rebuild', 'better-sqlite3'], project, NPM_TIMEOUT_MS)
    assert.is(b.code, 0, describe('npm rebuild better-sqlite3', b))
  }
})

test('the installed bin: acheron --version', () => {
  const r = run(join(project, 'node_modules', '.bin', 'acheron'), ['--version'], project)
  assert.is(r.code, 0, describe('acheron --version', r))
  assert.is(r.stdout.trim(), `acheron ${OWN.version}`)
})

readmeExamples().forEach((source, i) => {
  test(`README TypeScript example ${i + 1} runs verbatim in the project that installed the tarball`, () => {
    // Each in a directory of its own inside the project: both examples open ./data and create the table.
    const dir = join(project, `example-${i + 1}`)
    mkdirSync(dir)
    const file = join(dir, 'example.mjs')
    writeFileSync(file, source)
    const r = run(process.execPath, [file], dir)
    assert.is(r.code, 0, describe(`node ${file}`, r))
    assert.match(r.stdout, /^TXN_ABORTED insufficient funds/m, describe(`node ${file}`, r))
    assert.ok(readdirSync(join(dir, 'data')).length > 0, 'the example wrote its ./data')
  })
})

test('the README examples type-check against the installed declarations (strict, skipLibCheck off)', () => {
  // Every type the public declarations name must come with the package: a user's strict build checks them.
  const dir = join(project, 'typecheck')
  mkdirSync(dir)
  const files = readmeExamples().map((source, i) => {
    writeFileSync(join(dir, `example-${i + 1}.ts`), source)
    return `example-${i + 1}.ts`
  })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, skipLibCheck: false, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext',
      // Node's own types from this clone (a user's project has its own); nothing else from here.
      types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
    files,
  }))
  const r = run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], dir)
  assert.is(r.code, 0, describe('tsc -p typecheck', r))
})

test('the installed acheron serve: a console client over WebSocket and the browser console page', async () => {
  const child = spawn(join(project, 'node_modules', '.bin', 'acheron'), ['serve', '--data', join(tmp.dir, 'served'), '--port', '0'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within ${READY_TIMEOUT_MS} ms: ${stderr}`)), READY_TIMEOUT_MS)
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^acheron listening on (ws:\/\/127\.0\.0\.1:\d+)$/.exec(line)
        if (m !== null) { clearTimeout(timer); resolve(m[1] as string) }
      })
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`acheron serve exited ${String(code)}: ${stderr}`)) })
    })
    const page = await fetch(url.replace(/^ws:/, 'http:') + '/')
    assert.is(page.status, 200)
    assert.match(await page.text(), /<!doctype html>/i)
    const script = await fetch(url.replace(/^ws:/, 'http:') + '/console.js')
    assert.is(script.status, 200, 'the bundled browser console script is served from the installed package')
    const r = await new Promise<Run>((resolve) => {
      // Not spawnSync: this process must keep draining the server's log pipe while the client runs.
      const started = Date.now()
      const c = spawn(join(project, 'node_modules', '.bin', 'acheron'), ['console', url, '--json', '-e', 'SELECT 40 + 2 AS answer;', '-e', '\\conninfo'], { cwd: project })
      let out = ''
      let err = ''
      c.stdout.on('data', (d: Buffer) => { out += d.toString() })
      c.stderr.on('data', (d: Buffer) => { err += d.toString() })
      c.on('close', (code) => resolve({ code, stdout: out, stderr: err, ms: Date.now() - started }))
    })
    assert.is(r.code, 0, describe('acheron console', r))
    assert.equal((JSON.parse(r.stdout.trim().split('\n')[0] as string) as { rows: unknown[][] }).rows, [[42]], describe('acheron console', r))
    assert.match(r.stderr, new RegExp(`server version: ${OWN.version.replace(/\./g, '\\.')}\\n`), describe('acheron console', r))
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))
  }
})

test.run()
