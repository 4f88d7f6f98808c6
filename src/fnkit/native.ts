// The Rust and C compilers of a function project (`acheron fn build` of functions/*.rs and functions/*.c).
// The flags are those scripts/native-guests.js builds the repository's own Rust and C guests with, so a
// project's module is built exactly as guest/rust/examples/bank.rs and guest/c/examples/bank.c are.
// The compilers are named by path, not found on PATH: a rustup rustc (often first on PATH) is another
// compiler, usually without the wasm32 standard library. ACHERON_RUSTC / ACHERON_CLANG name others.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CompilerMissing } from './compiler.js'

/** Declared memory maximum of a module: 1 MiB, as AssemblyScript's `--maximumMemory 16`. */
export const NATIVE_MAX_MEMORY_BYTES = 16 * 65536
/** A function needs little stack; rustc's default of 1 MiB would not even fit the maximum above. */
export const NATIVE_STACK_BYTES = 65536
/** A compiler that runs longer than this is stuck, not slow (a cold Rust module takes ~2 s). */
const COMPILE_TIMEOUT_MS = 5 * 60_000

export const RUST_INSTALL = 'apt-get install -y --no-install-recommends rustc libstd-rust-dev-wasm32'
export const C_INSTALL = 'apt-get install -y --no-install-recommends clang lld'

/** This acheron package's root: its guest libraries (guest/rust, guest/c) are the ones a build uses. */
export const ACHERON_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const RUST_LIBRARY_DIR = join(ACHERON_ROOT, 'guest', 'rust')
export const C_LIBRARY_DIR = join(ACHERON_ROOT, 'guest', 'c')

/** What a compile gives back: the compiler's messages (warnings when it succeeded, errors when not). */
export interface NativeResult { readonly ok: boolean; readonly messages: string }

export interface NativeCompiler {
  /** For the build's first line: which compiler and which guest library. */
  readonly from: string
  /** Compiles `src` to `out` (paths relative to the project, so that messages name functions/NAME.x). */
  compile(src: string, out: string): NativeResult
}

function run(cmd: string, args: readonly string[], cwd: string): NativeResult {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: COMPILE_TIMEOUT_MS })
  if (r.error !== undefined) return { ok: false, messages: `${cmd} did not run: ${r.error.message}` }
  return { ok: r.status === 0, messages: `${r.stderr}${r.stdout}`.trim() }
}

function version(cmd: string): string {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' })
  return (r.stdout ?? '').split('\n')[0]?.trim() || cmd
}

const mtimeMs = (p: string): number => (existsSync(p) ? statSync(p).mtimeMs : -1)

// ---- Rust ---------------------------------------------------------------------------------------

const RUST_COMMON = ['--edition', '2021', '--target', 'wasm32-unknown-unknown', '-C', 'opt-level=s', '-C', 'panic=abort', '-C', 'codegen-units=1']

/** Why Rust modules cannot be built here, or null. */
export function rustMissing(rustc = process.env.ACHERON_RUSTC ?? '/usr/bin/rustc'): string | null {
  if (!existsSync(rustc)) return `no ${rustc} (${RUST_INSTALL}; ACHERON_RUSTC names another rustc)`
  const r = spawnSync(rustc, ['--print', 'sysroot'], { encoding: 'utf8' })
  if (r.status !== 0) return `${rustc} --print sysroot failed: ${r.stderr}`
  const sysroot = r.stdout.trim()
  if (!existsSync(join(sysroot, 'lib', 'rustlib', 'wasm32-unknown-unknown', 'lib'))) {
    // Debian's package adds the target to Debian's rustc only; a rustup toolchain adds it itself.
    const remedy = sysroot.startsWith('/usr') ? 'apt-get install -y libstd-rust-dev-wasm32' : 'rustup target add wasm32-unknown-unknown'
    return `${rustc} has no standard library for wasm32-unknown-unknown (${remedy})`
  }
  return null
}

/**
 * rustc for the project at `project`: the guest crate is compiled once into build/.rust/libacheron.rlib
 * (again when its sources change), each functions/NAME.rs is a cdylib crate linked against it.
 */
export function rustCompiler(project: string, buildDir: string, maxMemoryBytes = NATIVE_MAX_MEMORY_BYTES): NativeCompiler {
  const rustc = process.env.ACHERON_RUSTC ?? '/usr/bin/rustc'
  const why = rustMissing(rustc)
  if (why !== null) throw new CompilerMissing(`cannot build Rust functions: ${why}`)
  const workDir = join(project, buildDir, '.rust')
  const rlib = join(workDir, 'libacheron.rlib')
  // rust-lld beside rustc (Debian's rustc has it), so that a rustup toolchain's linker is never picked up.
  const lld = join(dirname(rustc), 'rust-lld')
  const linker = existsSync(lld) ? ['-C', `linker=${lld}`] : []
  let libraryReady = false
  const library = (): NativeResult => {
    if (libraryReady) return { ok: true, messages: '' }
    const sources = readdirSync(join(RUST_LIBRARY_DIR, 'src')).map((f) => join(RUST_LIBRARY_DIR, 'src', f))
    if (sources.some((f) => mtimeMs(f) >= mtimeMs(rlib))) {
      mkdirSync(workDir, { recursive: true })
      const r = run(rustc, [...RUST_COMMON, '--crate-type', 'rlib', '--crate-name', 'acheron', '--cfg', 'feature="bump-allocator"',
        join(RUST_LIBRARY_DIR, 'src', 'lib.rs'), '-o', rlib], project)
      if (!r.ok) return { ok: false, messages: `the guest library ${RUST_LIBRARY_DIR} did not compile:\n${r.messages}` }
    }
    libraryReady = true
    return { ok: true, messages: '' }
  }
  return {
    from: `${version(rustc)} (${rustc}), guest library ${RUST_LIBRARY_DIR}`,
    compile(src, out) {
      const lib = library()
      if (!lib.ok) return lib
      return run(rustc, [...RUST_COMMON, ...linker, '-C', 'lto', '-C', 'strip=symbols', '--crate-type', 'cdylib',
        '--extern', `acheron=${rlib}`, '-L', workDir,
        '-C', `link-arg=--max-memory=${maxMemoryBytes}`, '-C', `link-arg=-zstack-size=${NATIVE_STACK_BYTES}`,
        src, '-o', out], project)
    },
  }
}

// ---- C ------------------------------------------------------------------------------------------

/** Why C modules cannot be built here, or null. */
export function cMissing(clang = process.env.ACHERON_CLANG ?? '/usr/bin/clang'): string | null {
  if (!existsSync(clang)) return `no ${clang} (${C_INSTALL}; ACHERON_CLANG names another clang)`
  if (!existsSync(join(dirname(clang), 'wasm-ld'))) return `no wasm-ld beside ${clang} (apt-get install -y lld)`
  return null
}

/** clang for wasm32 without a libc; acheron.h from this package's guest/c is on the include path. */
export function cCompiler(project: string, maxMemoryBytes = NATIVE_MAX_MEMORY_BYTES): NativeCompiler {
  const clang = process.env.ACHERON_CLANG ?? '/usr/bin/clang'
  const why = cMissing(clang)
  if (why !== null) throw new CompilerMissing(`cannot build C functions: ${why}`)
  return {
    from: `${version(clang)} (${clang}), guest library ${join(C_LIBRARY_DIR, 'acheron.h')}`,
    compile(src, out) {
      // -mbulk-memory: copies become memory.copy rather than calls to a memcpy there is none of (no libc).
      // -fwrapv: i64 arithmetic wraps, as in the AssemblyScript and Rust guests, instead of being undefined.
      return run(clang, ['--target=wasm32', '-nostdlib', '-O2', '-mbulk-memory', '-fwrapv', '-Wall', '-Wextra',
        '-fno-color-diagnostics', '-I', C_LIBRARY_DIR,
        '-Wl,--no-entry', `-Wl,--max-memory=${maxMemoryBytes}`, `-Wl,-z,stack-size=${NATIVE_STACK_BYTES}`,
        '-o', out, src], project)
    },
  }
}
