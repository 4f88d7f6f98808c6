// The function kit in Rust and C, for real: `acheron fn init --lang rust|c` scaffolds a project in a
// temporary directory, its node_modules/acheron is this repository (linked, not installed), then
// `acheron fn build` compiles the scaffolded module with Debian's rustc or clang and `acheron fn test`
// runs the same counter tests as the AssemblyScript project's on an embedded engine. Where a toolchain
// is missing its tests are skipped and counted as such (test/support/guest-toolchains.ts), unless
// ACHERON_REQUIRE_GUEST_TOOLCHAINS=1.
import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { registrableExports } from '../../src/wasm-exec/module-exports.js'
import { guestTest } from '../support/guest-toolchains.js'
import { tempDir } from '../support/tmp.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js')
/** A safety net against a hung child, not a measurement: a cold Rust build plus a test run takes ~5 s. */
const CHILD_TIMEOUT_MS = 5 * 60_000

interface Run { code: number | null; stdout: string; stderr: string }

function acheron(args: readonly string[], cwd: string, env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1', ...env } })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function describe(args: readonly string[], r: Run): string {
  return `\n  acheron ${args.join(' ')}\n  exit ${String(r.code)}\n  stdout: ${r.stdout}\n  stderr: ${r.stderr}`
}

const tmp = tempDir('acheron-fnkit-native-')
test.after(() => tmp.cleanup())

/** A scaffolded project of `lang` with this repository as its node_modules/acheron. */
function scaffold(name: string, lang: 'rust' | 'c'): string {
  const args = ['fn', 'init', name, '--lang', lang, '--acheron-spec', `file:${ROOT}`]
  const r = acheron(args, tmp.dir)
  assert.is(r.code, 0, describe(args, r))
  assert.is(r.stderr, '', 'no note when --acheron-spec names this acheron')
  const project = join(tmp.dir, name)
  mkdirSync(join(project, 'node_modules'))
  symlinkSync(ROOT, join(project, 'node_modules', 'acheron'), 'dir')
  return project
}

const LANGS = [
  { lang: 'rust', title: 'Rust', ext: 'rs', compiler: /compiling with rustc \d+\.\d+\.\d+ \(.*rustc\), guest library .*guest\/rust/, broken: '\nfn broken() -> i64 { "text" }\n', error: /error\[E0308\][\s\S]*functions\/counter\.rs:\d+:\d+/ },
  { lang: 'c', title: 'C', ext: 'c', compiler: /compiling with .*clang version \d+[\s\S]*guest library .*guest\/c\/acheron\.h/, broken: '\nACHERON_EXPORT(broken) { acheron_ret_int(undeclared); }\n', error: /functions\/counter\.c:\d+:\d+: error: use of undeclared identifier 'undeclared'/ },
] as const

for (const { lang, title, ext, compiler, broken, error } of LANGS) {
  guestTest(lang)(`fn init --lang ${lang}, fn build and fn test: the ${title} counter passes the scaffolded tests on an embedded engine`, () => {
    const project = scaffold(`demo-${lang}`, lang)
    for (const f of ['package.json', `functions/counter.${ext}`, 'test/counter.test.mjs', '.gitignore', 'README.md']) {
      assert.ok(existsSync(join(project, f)), `${f} was written`)
    }
    assert.not.ok(existsSync(join(project, 'functions', 'counter.ts')), 'no AssemblyScript module beside it')
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as Record<string, unknown>
    assert.equal(pkg.dependencies, { acheron: `file:${ROOT}` })
    assert.is(pkg.devDependencies, undefined, 'no npm compiler for a native language')

    const b = acheron(['fn', 'build'], join(project, 'test'))
    assert.is(b.code, 0, describe(['fn', 'build'], b))
    assert.is(b.stderr, '', 'the scaffolded module compiles without a warning')
    assert.match(b.stdout, compiler)
    assert.match(b.stdout, new RegExp(`functions/counter\\.${ext} → build/counter\\.wasm \\(\\d+ bytes\\): functions (get, add|add, get)`))
    assert.equal(registrableExports(new Uint8Array(readFileSync(join(project, 'build', 'counter.wasm')))).sort(), ['add', 'get'])

    const t = acheron(['fn', 'test'], project)
    assert.is(t.code, 0, describe(['fn', 'test'], t))
    assert.match(t.stdout, /log\(\) lines come back WITH LOGS/)
    assert.match(t.stdout, /an amount that is not an INTEGER aborts and changes nothing/)
    assert.ok(t.stdout.trimEnd().endsWith('5 passed, 0 failed'), t.stdout)
  })

  guestTest(lang)(`fn build (${title}): a compile error names the file and line, removes the stale module and exits 1`, () => {
    const project = join(tmp.dir, `demo-${lang}`)
    appendFileSync(join(project, 'functions', `counter.${ext}`), broken)
    const r = acheron(['fn', 'build'], project)
    assert.is(r.code, 1, describe(['fn', 'build'], r))
    assert.match(r.stderr, new RegExp(`functions/counter\\.${ext}: the build failed`))
    assert.match(r.stderr, error)
    assert.not.ok(existsSync(join(project, 'build', 'counter.wasm')), 'no stale module passes for the new source')
    const t = acheron(['fn', 'test'], project)
    assert.is(t.code, 1, describe(['fn', 'test'], t))
    assert.match(t.stdout, /0 passed, 0 failed \(the build failed: no test ran\)/)
  })
}

guestTest('c')('fn build (C): warnings are shown on stderr, and the module still builds', () => {
  const project = scaffold('warned-c', 'c')
  writeFileSync(join(project, 'functions', 'extra.c'), '#include "acheron.h"\nACHERON_EXPORT(noisy) { int unused = 1; acheron_ret_int(2); }\n')
  const r = acheron(['fn', 'build'], project)
  assert.is(r.code, 0, describe(['fn', 'build'], r))
  assert.match(r.stderr, /functions\/extra\.c: compiled with warnings\n[\s\S]*functions\/extra\.c:2:\d+: warning: unused variable 'unused'/)
  assert.match(r.stdout, /functions\/extra\.c → build\/extra\.wasm \(\d+ bytes\): functions noisy/)
  assert.not.match(r.stderr, /counter\.c: compiled with warnings/, 'the scaffolded module compiles cleanly')
})

guestTest('rust')('fn build: two sources of one module name (counter.rs, counter.ts) are refused, not one silently kept', () => {
  const project = scaffold('clash', 'rust')
  writeFileSync(join(project, 'functions', 'counter.ts'), 'export function get(): void {}\n')
  const r = acheron(['fn', 'build'], project)
  assert.is(r.code, 1, describe(['fn', 'build'], r))
  assert.match(r.stderr, /functions\/counter\.ts: functions\/counter\.rs builds build\/counter\.wasm too/)
  assert.match(r.stdout, /functions\/counter\.rs → build\/counter\.wasm/)
})

guestTest('c')('fn test before npm install: one line saying acheron is not installed there, exit 1; it was node\'s ERR_MODULE_NOT_FOUND stack trace for each test file', () => {
  const args = ['fn', 'init', 'uninstalled', '--lang', 'c', '--acheron-spec', `file:${ROOT}`]
  const init = acheron(args, tmp.dir)
  assert.is(init.code, 0, describe(args, init))
  const project = join(tmp.dir, 'uninstalled')
  const r = acheron(['fn', 'test'], project)
  assert.is(r.code, 1, describe(['fn', 'test'], r))
  assert.is(r.stderr, `the tests import acheron (package.json asks for acheron file:${ROOT}), which is not installed here: run npm install in ${project}\n`, describe(['fn', 'test'], r))
  assert.match(r.stdout, /functions\/counter\.c → build\/counter\.wasm[\s\S]*\n0 passed, 0 failed \(no test ran\)\n$/, describe(['fn', 'test'], r))
  assert.not.match(r.stdout, /ERR_MODULE_NOT_FOUND/)
})

// Needs no toolchain: it is about the kit's message when one is missing.
test('fn build: a missing rustc or clang is exit 1 naming the compiler and how to install it', () => {
  for (const [lang, variable, install] of [['rust', 'ACHERON_RUSTC', /libstd-rust-dev-wasm32/], ['c', 'ACHERON_CLANG', /clang lld/]] as const) {
    const project = join(tmp.dir, `missing-${lang}`)
    const args = ['fn', 'init', `missing-${lang}`, '--lang', lang]
    const init = acheron(args, tmp.dir)
    assert.is(init.code, 0, describe(args, init))
    // Without --acheron-spec, package.json names the registry's acheron, which is another package.
    assert.match(init.stderr, /^note: package\.json asks the npm registry for acheron \^\d+\.\d+\.\d+, and the registry's package named acheron is another project: [^\n]*--acheron-spec file:PATH/, describe(args, init))
    const r = acheron(['fn', 'build'], project, { [variable]: '/nonexistent/compiler' })
    assert.is(r.code, 1, describe(['fn', 'build'], r))
    assert.match(r.stderr, new RegExp(`cannot build ${lang === 'rust' ? 'Rust' : 'C'} functions: no /nonexistent/compiler`))
    assert.match(r.stderr, install)
    assert.not.ok(existsSync(join(project, 'build', 'counter.wasm')))
  }
  rmSync(join(tmp.dir, 'missing-rust'), { recursive: true })
})

test.run()
