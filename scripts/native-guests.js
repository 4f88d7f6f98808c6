// Builds the Rust and C guest examples into dist/guest/, with Debian's toolchains named by path:
//   guest/rust/examples/NAME.rs → dist/guest/NAME-rust.wasm  (/usr/bin/rustc + libstd-rust-dev-wasm32)
//   guest/c/examples/NAME.c     → dist/guest/NAME-c.wasm     (/usr/bin/clang + lld's wasm-ld)
// and the same from guest/rust/test and guest/c/test (modules the tests use).
// By path, not from PATH: a rustup rustc on PATH (often first) is another compiler, and not the one CI
// installs. ACHERON_RUSTC / ACHERON_CLANG name others. A missing toolchain is a loud notice, not a failed
// build (`npm start` works without them); which ones were missing is written to
// dist/.guest-build/toolchains.json, where the tests read it (test/support/guest-toolchains.ts).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Declared memory maximum of the examples: 1 MiB, as the AssemblyScript ones (16 pages). */
const MAX_MEMORY_BYTES = 16 * 65536
/** A function needs little stack; rustc's default of 1 MiB would not even fit the maximum above. */
const STACK_BYTES = 65536

export const RUST_INSTALL = 'apt-get install -y --no-install-recommends rustc libstd-rust-dev-wasm32'
export const C_INSTALL = 'apt-get install -y --no-install-recommends clang lld'

const list = (dir, ext) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f)) : [])
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1)

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.error !== undefined) throw new Error(`${what}: ${cmd} did not run: ${r.error.message}`)
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} exit ${r.status}):\n${r.stderr}${r.stdout}`)
  return r.stdout
}

/** Why Rust guests cannot be built here, or null. */
export function rustMissing(rustc = process.env.ACHERON_RUSTC ?? '/usr/bin/rustc') {
  if (!existsSync(rustc)) return `no ${rustc} (${RUST_INSTALL})`
  const sysroot = run(rustc, ['--print', 'sysroot'], 'rustc --print sysroot').trim()
  if (!existsSync(join(sysroot, 'lib', 'rustlib', 'wasm32-unknown-unknown', 'lib'))) {
    return `${rustc} has no standard library for wasm32-unknown-unknown (apt-get install -y libstd-rust-dev-wasm32)`
  }
  return null
}

/** Why C guests cannot be built here, or null. */
export function cMissing(clang = process.env.ACHERON_CLANG ?? '/usr/bin/clang') {
  if (!existsSync(clang)) return `no ${clang} (${C_INSTALL})`
  if (!existsSync(join(dirname(clang), 'wasm-ld'))) return `no wasm-ld beside ${clang} (apt-get install -y lld)`
  return null
}

function buildRust(root, outDir, workDir, force) {
  const rustc = process.env.ACHERON_RUSTC ?? '/usr/bin/rustc'
  const crate = join(root, 'guest', 'rust')
  const library = list(join(crate, 'src'), '.rs')
  const rlib = join(workDir, 'libacheron.rlib')
  const common = ['--edition', '2021', '--target', 'wasm32-unknown-unknown', '-C', 'opt-level=s', '-C', 'panic=abort', '-C', 'codegen-units=1']
  // rust-lld beside rustc (Debian's rustc package has it), so a rustup toolchain's linker is never picked up.
  const lld = join(dirname(rustc), 'rust-lld')
  const linker = existsSync(lld) ? ['-C', `linker=${lld}`] : []
  if (force || library.some((f) => mtime(f) >= mtime(rlib))) {
    run(rustc, [...common, '--crate-type', 'rlib', '--crate-name', 'acheron', '--cfg', 'feature="bump-allocator"',
      '-D', 'warnings', join(crate, 'src', 'lib.rs'), '-o', rlib], 'rustc (guest/rust library)')
  }
  const built = []
  for (const src of [...list(join(crate, 'examples'), '.rs'), ...list(join(crate, 'test'), '.rs')]) {
    const out = join(outDir, `${basename(src, '.rs')}-rust.wasm`)
    if (!force && mtime(src) < mtime(out) && mtime(rlib) < mtime(out)) continue
    run(rustc, [...common, ...linker, '-C', 'lto', '-C', 'strip=symbols', '--crate-type', 'cdylib', '-D', 'warnings',
      '--extern', `acheron=${rlib}`, '-L', workDir,
      '-C', `link-arg=--max-memory=${MAX_MEMORY_BYTES}`, '-C', `link-arg=-zstack-size=${STACK_BYTES}`,
      src, '-o', out], `rustc ${basename(src)}`)
    built.push(out)
  }
  return built
}

function buildC(root, outDir, force) {
  const clang = process.env.ACHERON_CLANG ?? '/usr/bin/clang'
  const header = join(root, 'guest', 'c', 'acheron.h')
  const built = []
  for (const src of [...list(join(root, 'guest', 'c', 'examples'), '.c'), ...list(join(root, 'guest', 'c', 'test'), '.c')]) {
    const out = join(outDir, `${basename(src, '.c')}-c.wasm`)
    if (!force && mtime(src) < mtime(out) && mtime(header) < mtime(out)) continue
    // -mbulk-memory: copies become memory.copy rather than calls to a memcpy there is none of (no libc).
    // -fwrapv: i64 arithmetic wraps, as in the AssemblyScript and Rust guests, instead of being undefined.
    run(clang, ['--target=wasm32', '-nostdlib', '-O2', '-mbulk-memory', '-fwrapv', '-Wall', '-Wextra', '-Werror',
      '-Wl,--no-entry', `-Wl,--max-memory=${MAX_MEMORY_BYTES}`, `-Wl,-z,stack-size=${STACK_BYTES}`,
      '-o', out, src], `clang ${basename(src)}`)
    built.push(out)
  }
  return built
}

/**
 * Builds what the toolchains found here allow; prints a notice for each missing one. Returns the modules
 * built. A toolchain that exists but fails to compile is an error, as any build failure is.
 */
export function buildNativeGuests(root, outDir, force) {
  const workDir = join(root, 'dist', '.guest-build')
  mkdirSync(workDir, { recursive: true })
  const missing = { rust: rustMissing(), c: cMissing() }
  writeFileSync(join(workDir, 'toolchains.json'), `${JSON.stringify(missing)}\n`)
  const built = []
  if (missing.rust === null) built.push(...buildRust(root, outDir, workDir, force))
  if (missing.c === null) built.push(...buildC(root, outDir, force))
  for (const [lang, why] of Object.entries(missing)) {
    if (why === null) continue
    process.stderr.write(`\n*** NOTICE: the ${lang === 'rust' ? 'Rust' : 'C'} guest examples are not built: ${why}.\n` +
      '*** The tests that run them are skipped (they fail instead with ACHERON_REQUIRE_GUEST_TOOLCHAINS=1, as in .ci/run).\n\n')
  }
  return built
}
