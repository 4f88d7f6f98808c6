// `acheron fn init|build|test`: the function kit (docs/functions.md, "The function kit"). init scaffolds
// an AssemblyScript, Rust or C project; build compiles functions/NAME.ts|.rs|.c to build/NAME.wasm with
// the kit's own compiler flags; test builds, then runs test/*.test.mjs on node's test runner (the tests open an embedded engine)
// and ends with "N passed, N failed". Exit codes: 0 done, 1 a build error or a failed test, 2 misuse.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { joinNegativeValues } from './negative-values.js'
import { compileModule, CompilerMissing, loadCompiler } from '../fnkit/compiler.js'
import { BUILD_DIR, findProject, FUNCTIONS_DIR, type Language, moduleSources, ProjectError, testFiles, uninstalledDependency } from '../fnkit/project.js'
import { cCompiler, NATIVE_MAX_MEMORY_BYTES, rustCompiler } from '../fnkit/native.js'
import { MEMORY_BYTES_DEFAULT, MEMORY_BYTES_MAX } from '../schema/catalog.js'
import { projectFiles } from '../fnkit/templates.js'
import { AcheronError } from '../errors.js'
import { checkBuiltModule, describeRefusal, uncallableExportsNote } from '../fnkit/check-module.js'
import { isUsageError, usageMessage, UsageError } from './usage-error.js'

export const FN_USAGE = `usage: acheron fn <init|build|test> [options]

The function kit: write Acheron functions in AssemblyScript, Rust or C, build them and test them on an
embedded engine.

  acheron fn init NAME [--lang assemblyscript|rust|c] [--acheron-spec SPEC]
      scaffolds a project in ./NAME: package.json (acheron; for AssemblyScript also assemblyscript as a
      dev dependency), functions/counter.ts, .rs or .c (over the guest library of that language),
      test/counter.test.mjs (runs the functions on an embedded engine). --lang defaults to assemblyscript.
      SPEC is what package.json asks for as acheron (default ^VERSION of this acheron; a file: path or a
      tarball for a local build, relative to where you run init). Then: cd NAME && npm install
  acheron fn build [--dir DIR] [--max-memory BYTES]
      compiles every functions/NAME.ts|.rs|.c to build/NAME.wasm and lists each module's functions:
      .ts with the project's assemblyscript (-O3 --runtime stub --maximumMemory PAGES), .rs with
      /usr/bin/rustc (or ACHERON_RUSTC) against the crate in acheron/guest/rust, .c with /usr/bin/clang
      (or ACHERON_CLANG) and wasm-ld with acheron/guest/c/acheron.h. Every module declares a memory
      maximum of BYTES (default 1048576, 1 MiB; a multiple of 65536, at most 268435456); above 16 MiB,
      register its functions WITH (MEMORY = BYTES)
  acheron fn test [--dir DIR] [--max-memory BYTES]
      builds, then runs test/**/*.test.mjs with node's test runner; prints "N passed, N failed"

DIR defaults to the project holding the current directory.`

/** Languages init can scaffold, each with its guest library; `--lang` names one. */
const LANGUAGES: readonly Language[] = ['assemblyscript', 'rust', 'c']
const isLanguage = (s: string): s is Language => (LANGUAGES as readonly string[]).includes(s)
/** npm's rule for a package name, kept simple: lower case, digits, - . _ ; the directory gets the same name. */
const PROJECT_NAME = /^[a-z0-9][a-z0-9._-]{0,213}$/
/** Names that fit PROJECT_NAME and npm still refuses for a package (validate-npm-package-name's blacklist). */
const NPM_RESERVED_NAMES: ReadonlySet<string> = new Set(['node_modules', 'favicon.ico'])
/** The package every project depends on: npm refuses to install a package into one of the same name (ENOSELF). */
const KIT_PACKAGE = 'acheron'

type Out = (line: string) => void


function acheronPackage(): { version: string; assemblyscript: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version?: string; devDependencies?: Record<string, string>
  }
  return { version: pkg.version ?? '0.0.0', assemblyscript: pkg.devDependencies?.assemblyscript ?? '^0.28.20' }
}

/**
 * `spec` as the new project's package.json must say it. A local path (`file:PATH`, `./x.tgz`, `../clone`)
 * is typed relative to where `init` runs, but npm reads it relative to the project: it is rewritten so,
 * or `init ../../app --acheron-spec file:../acheron.tgz` pointed npm at a file that is not there.
 */
export function projectRelativeSpec(spec: string, project: string): string {
  const path = spec.startsWith('file:') ? spec.slice('file:'.length) : /^\.\.?\//.test(spec) ? spec : null
  if (path === null || path.startsWith('/')) return spec
  const fromProject = relative(project, resolve(path))
  return `file:${fromProject.startsWith('.') ? fromProject : `./${fromProject}`}`
}

function init(args: string[], out: Out, err: Out): number {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { lang: { type: 'string', default: 'assemblyscript' }, 'acheron-spec': { type: 'string' } },
  })
  if (positionals.length !== 1) throw new UsageError('acheron fn init takes one NAME (the directory to create)')
  const target = resolve(positionals[0] as string)
  const name = basename(target)
  if (!PROJECT_NAME.test(name)) throw new UsageError(`'${name}' is not a package name: use lower-case letters, digits, '-', '.' and '_', starting with a letter or digit`)
  if (NPM_RESERVED_NAMES.has(name)) throw new UsageError(`'${name}' is not a package name: npm reserves it`)
  if (name === KIT_PACKAGE) throw new UsageError(`'${name}' cannot name the project: it depends on the package ${KIT_PACKAGE}, and npm will not install a package into one of the same name`)
  const language = values.lang
  if (!isLanguage(language)) throw new UsageError(`--lang ${language}: this version scaffolds ${LANGUAGES.join(', ')}`)
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    // Not a misuse of the command (exit 2 and the whole usage): the one thing to change is the NAME.
    throw new ProjectError(`${target} exists and is not an empty directory: choose another NAME`)
  }
  const own = acheronPackage()
  const spec = values['acheron-spec'] === undefined ? `^${own.version}` : projectRelativeSpec(values['acheron-spec'], target)
  const files = projectFiles({ name, acheronSpec: spec, assemblyscriptSpec: own.assemblyscript, language })
  for (const [path, text] of files) {
    mkdirSync(dirname(join(target, path)), { recursive: true })
    writeFileSync(join(target, path), text)
  }
  out(`created ${relative(process.cwd(), target) || '.'}/ with ${[...files.keys()].join(', ')}`)
  out(`next: cd ${relative(process.cwd(), target) || '.'} && npm install && npx acheron fn test`)
  if (values['acheron-spec'] === undefined) {
    // Checked 2026-12-01: the registry's "acheron" is an unrelated package, and ^0.1.0 matches its 0.1.3.
    err(`note: package.json asks the npm registry for acheron ^${own.version}, and the registry's package named acheron is ` +
      'another project: until this Acheron is published there, init with --acheron-spec file:PATH, PATH being the ' +
      'tarball `npm pack` writes in a clone of Acheron, or the clone itself (docs/tutorial.md)')
  }
  return 0
}

const WASM_PAGE_BYTES = 65536
/** `fn build`'s default declared memory maximum: 1 MiB, a stub-runtime function's needs with room to spare. */
export const BUILD_MAX_MEMORY_BYTES = NATIVE_MAX_MEMORY_BYTES

interface BuildOptions {
  readonly project: string
  /** The memory maximum every module declares (`--max-memory`). */
  readonly maxMemoryBytes: number
}

/** `[--dir DIR] [--max-memory BYTES]` of fn build and fn test. */
function buildOptions(args: string[]): BuildOptions {
  const options = { dir: { type: 'string' }, 'max-memory': { type: 'string' } } as const
  const { values } = parseArgs({ args: joinNegativeValues(args, options), options })
  const given = values['max-memory']
  let maxMemoryBytes = BUILD_MAX_MEMORY_BYTES
  if (given !== undefined) {
    maxMemoryBytes = Number(given)
    if (!Number.isSafeInteger(maxMemoryBytes) || maxMemoryBytes < WASM_PAGE_BYTES || maxMemoryBytes > MEMORY_BYTES_MAX || maxMemoryBytes % WASM_PAGE_BYTES !== 0) {
      throw new UsageError(`--max-memory is a number of bytes, a multiple of ${WASM_PAGE_BYTES} (a WebAssembly page) from ${WASM_PAGE_BYTES} to ${MEMORY_BYTES_MAX} (MEMORY's most), not ${given}`)
    }
  }
  return { project: findProject(values.dir ?? process.cwd()), maxMemoryBytes }
}

/** A compiler for one language, loaded at the first module that needs it. */
interface ModuleCompiler {
  readonly from: string
  /**
   * Compiles `src` to `out` (paths relative to the project): ok, and the compiler's messages — its errors
   * when not ok, its warnings (if it gives them) when ok.
   */
  compile(src: string, out: string): Promise<{ ok: boolean; messages: string }>
}

async function loadModuleCompiler(language: Language, project: string, maxMemoryBytes: number): Promise<ModuleCompiler> {
  if (language === 'assemblyscript') {
    const { asc, from } = await loadCompiler(project)
    return {
      from,
      compile: async (src, out) => {
        const messages = await compileModule(asc, project, src, out, maxMemoryBytes / WASM_PAGE_BYTES)
        return { ok: messages === null, messages: messages ?? '' }
      },
    }
  }
  const native = language === 'rust' ? rustCompiler(project, BUILD_DIR, maxMemoryBytes) : cCompiler(project, maxMemoryBytes)
  return {
    from: native.from,
    compile: async (src, out) => {
      const r = native.compile(src, out)
      return r.ok ? r : { ok: false, messages: r.messages || 'the compiler failed without a message' }
    },
  }
}

/** Compiles every module; false (after printing the compiler's messages) when one failed. */
async function build({ project, maxMemoryBytes }: BuildOptions, out: Out, err: Out): Promise<boolean> {
  const sources = moduleSources(project)
  if (sources.length === 0) {
    err(`no modules to build: ${join(project, FUNCTIONS_DIR)} has no .ts, .rs or .c file`)
    return false
  }
  mkdirSync(join(project, BUILD_DIR), { recursive: true })
  const compilers = new Map<Language, ModuleCompiler>()
  const built = new Map<string, string>()
  let ok = true
  for (const { file, name, language } of sources) {
    const src = join(FUNCTIONS_DIR, file)
    const outFile = join(BUILD_DIR, `${name}.wasm`)
    const twin = built.get(name)
    if (twin !== undefined) {
      // counter.ts and counter.rs would both be build/counter.wasm: neither silently wins.
      err(`${src}: ${twin} builds ${outFile} too: give one of them another name`)
      ok = false
      continue
    }
    built.set(name, src)
    let compiler = compilers.get(language)
    if (compiler === undefined) {
      compiler = await loadModuleCompiler(language, project, maxMemoryBytes)
      compilers.set(language, compiler)
      out(`compiling with ${compiler.from}`)
    }
    // A stale module must not pass for the new source: it is removed before the compiler runs.
    rmSync(join(project, outFile), { force: true })
    const compiled = await compiler.compile(src, outFile)
    if (!compiled.ok) {
      rmSync(join(project, outFile), { force: true })
      err(`${src}: the build failed\n${compiled.messages}`)
      ok = false
      continue
    }
    // Warnings (clang's -Wall -Wextra, rustc's lints) are shown, not fatal.
    if (compiled.messages !== '') err(`${src}: compiled with warnings\n${compiled.messages}`)
    const bytes = readFileSync(join(project, outFile))
    let fns: string[]
    try {
      // As registered WITH (MEMORY = the maximum) when that is above the default (the note below says so).
      fns = await checkBuiltModule(bytes, Math.max(MEMORY_BYTES_DEFAULT, maxMemoryBytes))
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      // A module registration would refuse is no build: it is removed, as a failed compile's is.
      rmSync(join(project, outFile), { force: true })
      err(`${src}: compiled, but Acheron would refuse the module: ${describeRefusal(e)}`)
      ok = false
      continue
    }
    out(`${src} → ${outFile} (${bytes.length} bytes): ${fns.length === 0 ? 'no functions (export one of signature () -> ())' : `functions ${fns.join(', ')}`}`)
    const skipped = uncallableExportsNote(bytes)
    if (skipped !== null) err(`${src}: ${skipped}`)
  }
  // A module whose source is gone (renamed, deleted) must not stay behind: tests that load it passed
  // against code that no longer exists.
  for (const file of readdirSync(join(project, BUILD_DIR)).sort()) {
    const name = file.endsWith('.wasm') ? file.slice(0, -'.wasm'.length) : null
    if (name === null || built.has(name) || !statSync(join(project, BUILD_DIR, file)).isFile()) continue
    rmSync(join(project, BUILD_DIR, file), { force: true })
    out(`removed ${join(BUILD_DIR, file)}: no ${join(FUNCTIONS_DIR, name)}.ts, .rs or .c builds it any more`)
  }
  if (ok && maxMemoryBytes > MEMORY_BYTES_DEFAULT) {
    // Registration refuses a module that may grow past the function's MEMORY limit (16 MiB by default).
    out(`note: the modules declare up to ${maxMemoryBytes} bytes of memory: register their functions WITH (MEMORY = ${maxMemoryBytes}) (createFunction's memory option)`)
  }
  return ok
}

/** node --test over the project's test files; resolves with the runner's pass and fail counts. */
function runTests(project: string, files: readonly string[], out: Out): Promise<{ passed: number; failed: number; code: number | null }> {
  const scratch = mkdtempSync(join(tmpdir(), 'acheron-fn-test-'))
  const tap = join(scratch, 'tap.txt')
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [
      '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files,
    ], { cwd: project, stdio: ['ignore', 'pipe', 'inherit'] })
    child.stdout.setEncoding('utf8')
    let pending = ''
    child.stdout.on('data', (chunk: string) => {
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const l of lines) out(l)
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (pending !== '') out(pending)
      try {
        const summary = existsSync(tap) ? readFileSync(tap, 'utf8') : ''
        const count = (what: string): number => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(summary)?.[1] ?? 0)
        resolveRun({ passed: count('pass'), failed: count('fail') + count('cancelled'), code })
      } finally {
        rmSync(scratch, { recursive: true, force: true })
      }
    })
  })
}

async function test(options: BuildOptions, out: Out, err: Out): Promise<number> {
  const { project } = options
  if (!(await build(options, out, err))) {
    out('0 passed, 0 failed (the build failed: no test ran)')
    return 1
  }
  const files = testFiles(project)
  if (files.length === 0) {
    err(`no tests: ${join(project, 'test')} has no *.test.mjs file`)
    out('0 passed, 0 failed')
    return 1
  }
  const missing = uninstalledDependency(project, KIT_PACKAGE)
  if (missing !== null) {
    err(missing)
    out('0 passed, 0 failed (no test ran)')
    return 1
  }
  const { passed, failed, code } = await runTests(project, files, out)
  out(`${passed} passed, ${failed} failed`)
  // The runner's own exit status counts too: a test file that failed to load is a failure with no test.
  return failed === 0 && code === 0 ? 0 : 1
}

/** `acheron fn …`; `out` for results, `err` for problems. */
export async function fnCommand(args: string[], out: Out, err: Out): Promise<number> {
  const [sub, ...rest] = args
  try {
    switch (sub) {
      case 'init': return init(rest, out, err)
      case 'build': return (await build(buildOptions(rest), out, err)) ? 0 : 1
      case 'test': return await test(buildOptions(rest), out, err)
      case undefined: case 'help':
        out(FN_USAGE)
        return sub === undefined ? 2 : 0
      default:
        throw new UsageError(`'${sub}' is not an fn command: init, build or test`)
    }
  } catch (e) {
    if (isUsageError(e)) {
      err(`acheron fn: ${usageMessage(e)}\n${FN_USAGE}`)
      return 2
    }
    if (e instanceof ProjectError || e instanceof CompilerMissing) {
      err(`acheron fn: ${e.message}`)
      return 1
    }
    throw e
  }
}
