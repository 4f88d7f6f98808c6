/**
 * Registration checks of a function body (CONTRACT.md §6). Never on the hot path: invoke runs them once
 * per module hash. Module-level facts are checked in `inspectModule`; `checkFunction` adds the checks that
 * depend on the function definition (its export name and memory limit).
 */
import { AcheronError } from '../errors.js'
import { MEMORY_BYTES_MAX, type FunctionDef } from '../schema/catalog.js'
import {
  ABI_IMPORTS, ABI_MODULE, AS_ABORT, RESERVED_PREFIX, formatSignature,
  type ImportSignature, type WasmValType,
} from './abi-signatures.js'
import { capturingOutput, type Binaryen, type BinaryenModule } from './binaryen.js'
import { Wasm, type WasmModule } from './wasm-api.js'
import { looksLikeWat, watGiven } from './module-exports.js'

export const WASM_PAGE_BYTES = 65536
/**
 * Elements a module's tables may declare in all. V8 allocates every element of a table per instance
 * (`(table 10000000 funcref)` cost ~267 MiB each, and a few instances ran a worker out of heap); tables
 * cannot grow (table instructions are rejected), so the declared size is what an instance holds.
 */
export const TABLE_ELEMENTS_MAX = 65_536
/** What one table element is counted as (V8 held ~27 bytes per funcref element; counted, not measured). */
export const TABLE_ELEMENT_BYTES = 32

/** What the runtime needs to know about a valid module, independent of any one function definition. */
export interface ModuleFacts {
  /** binaryen's internal name of the (single, defined) memory. */
  readonly memoryName: string
  readonly memoryInitialPages: number
  readonly memoryMaxPages: number
  /** Exported functions: name → whether the signature is () -> (). */
  readonly functionExports: ReadonlyMap<string, boolean>
  /** Elements of all its tables (at most TABLE_ELEMENTS_MAX). */
  readonly tableElements: number
}

/**
 * Features a guest may use. Left out for determinism: threads/atomics (shared memory, waits), relaxed SIMD
 * (results differ between CPUs). Left out for simplicity of fuel metering: exception handling, GC, stack
 * switching, memory64, multi-memory, reference types, strings, extended constant expressions (data
 * segment offsets stay plain constants, which instance reuse relies on).
 */
export function allowedFeatures(b: Binaryen): number {
  const F = b.Features
  return F.MutableGlobals | F.NontrappingFPToInt | F.SIMD128 | F.BulkMemory | F.BulkMemoryOpt | F.SignExt |
    F.Multivalue | F.TailCall | F.CallIndirectOverlong
}

const invalid = (reason: string): AcheronError => new AcheronError('INVALID_WASM', `invalid WebAssembly module: ${reason}`)

const NO_TIME = "a clock of the machine: read the batch's time with txn_time_ms (txnTimeMs() of the guest library), the same for every replica and replay"
/**
 * What a refused import usually comes from, for the message: AssemblyScript turns some builtins into `env`
 * imports whose names do not say which (`Math.random` is `env.seed`), and WASI comes with other toolchains.
 */
function importHint(module: string, name: string): string {
  if (module.startsWith('wasi')) return 'WASI is not supported'
  if (module === ABI_MODULE) return 'not an import of the ABI v1: docs/functions.md lists them'
  if (module !== 'env') return ''
  if (name === 'seed') return "AssemblyScript's Math.random: a function sees no randomness, so that every replica computes the same result"
  if (name === 'Date.now' || name === 'performance.now') return NO_TIME
  if (name === 'trace') return "AssemblyScript's trace(): write debug lines with log() of the guest library"
  if (name.startsWith('console.')) return "AssemblyScript's console: write debug lines with log() of the guest library"
  return ''
}

/** Refused imports named in one message at most; more are counted. */
export const IMPORTS_LISTED_MAX = 20

/** WASM_IMPORT_NOT_ALLOWED naming every import refused (each with its hint), the first IMPORTS_LISTED_MAX of them. */
function importsNotAllowed(refused: readonly { readonly module: string; readonly name: string }[]): AcheronError {
  const only = `a function may import only the "${ABI_MODULE}" ABI and env.abort`
  const first = refused[0]
  if (refused.length === 1 && first !== undefined) {
    const hint = importHint(first.module, first.name)
    return new AcheronError('WASM_IMPORT_NOT_ALLOWED', `import ${first.module}.${first.name} is not allowed${hint === '' ? '' : ` (${hint})`}: ${only}`)
  }
  const named = refused.slice(0, IMPORTS_LISTED_MAX).map((imp) => {
    const hint = importHint(imp.module, imp.name)
    return `${imp.module}.${imp.name}${hint === '' ? '' : ` (${hint})`}`
  })
  const more = refused.length - named.length
  const list = more > 0 ? `${named.join(', ')} and ${more} more` : `${named.slice(0, -1).join(', ')} and ${named[named.length - 1] as string}`
  return new AcheronError('WASM_IMPORT_NOT_ALLOWED', `${refused.length} imports are not allowed, ${list}: ${only}`)
}

/** Checks what V8 can tell without binaryen: well-formedness and the import list. */
function checkWithV8(bytes: Uint8Array): void {
  let module: WasmModule
  try {
    module = new Wasm.Module(bytes)
  } catch (e) {
    if (looksLikeWat(bytes)) throw watGiven()
    throw invalid(`not a WebAssembly module (${e instanceof Error ? e.message : String(e)})`)
  }
  const imports = Wasm.Module.imports(module)
  // Every refused import at once: a build that names one (env.trace) and then the next (env.seed) takes as
  // many rounds as the module has of them.
  const refused = imports.filter((imp) => !(imp.module === ABI_MODULE && ABI_IMPORTS.has(imp.name)) && !(imp.module === AS_ABORT.module && imp.name === AS_ABORT.name))
  if (refused.length > 0) throw importsNotAllowed(refused)
  for (const imp of imports) {
    const name = `${imp.module}.${imp.name}`
    if (imp.kind !== 'function') {
      throw new AcheronError('WASM_IMPORT_NOT_ALLOWED', `import ${name} must be a function, not a ${imp.kind}`)
    }
  }
}

function valType(b: Binaryen, t: number): WasmValType | string {
  if (t === b.i32) return 'i32'
  if (t === b.i64) return 'i64'
  if (t === b.f64) return 'f64'
  if (t === b.f32) return 'f32'
  return `type#${t}`
}

function sameSignature(b: Binaryen, params: number, results: number, want: ImportSignature): boolean {
  const p = b.expandType(params).map((t) => valType(b, t))
  const r = b.expandType(results).map((t) => valType(b, t))
  return p.join() === want.params.join() && r.join() === want.results.join()
}

function checkImportSignatures(b: Binaryen, m: BinaryenModule): void {
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const f = b.getFunctionInfo(m.getFunctionByIndex(i))
    if (f.module === '' || f.module === null) continue
    const want = f.module === ABI_MODULE ? ABI_IMPORTS.get(f.base ?? '') : AS_ABORT.signature
    if (want === undefined) throw invalid(`unexpected import ${f.module}.${f.base}`)
    if (!sameSignature(b, f.params, f.results, want)) {
      throw invalid(`import ${f.module}.${f.base} must have signature ${formatSignature(want)}`)
    }
  }
}

function checkFeatures(b: Binaryen, m: BinaryenModule): void {
  m.setFeatures(allowedFeatures(b))
  const { value: ok, output } = capturingOutput(() => m.validate())
  if (!ok) {
    const line = output.split('\n').find((l) => l.includes('error')) ?? output.split('\n')[0] ?? ''
    const reason = line.replace(/^\[wasm-validator error[^\]]*\]\s*(unexpected false:\s*)?/, '').replace(/, on\s*$/, '').trim()
    throw invalid(`uses an instruction or feature that is not allowed (threads/atomics and relaxed SIMD are rejected for determinism): ${reason}`)
  }
}

function inspectMemory(b: Binaryen, m: BinaryenModule): Pick<ModuleFacts, 'memoryName' | 'memoryInitialPages' | 'memoryMaxPages'> {
  let memoryName: string | undefined
  for (let i = 0; i < m.getNumExports(); i++) {
    const e = b.getExportInfo(m.getExportByIndex(i))
    if (e.name === 'memory' && e.kind === b.ExternalMemory) memoryName = e.value as string
  }
  if (!m.hasMemory() || memoryName === undefined) throw invalid('it must export its memory as "memory"')
  const mem = m.getMemoryInfo(memoryName) as { initial: number; max?: number; shared: boolean; is64: boolean }
  if (mem.shared) throw invalid('shared memory is not allowed (nondeterministic)')
  if (mem.is64) throw invalid('64-bit memory is not allowed')
  if (mem.max === undefined) throw invalid('memory must declare a maximum size (asc --maximumMemory PAGES, wasm-ld --max-memory=BYTES, WAT (memory MIN MAX))')
  return { memoryName, memoryInitialPages: mem.initial, memoryMaxPages: mem.max }
}

function inspectTables(b: Binaryen, m: BinaryenModule): number {
  let elements = 0
  for (let i = 0; i < m.getNumTables(); i++) {
    const t = b.getTableInfo(m.getTableByIndex(i))
    elements += t.initial
  }
  if (elements > TABLE_ELEMENTS_MAX) {
    throw invalid(`its tables declare ${elements} elements, above the limit of ${TABLE_ELEMENTS_MAX} (TABLE_ELEMENTS_MAX)`)
  }
  return elements
}

function inspectExports(b: Binaryen, m: BinaryenModule): Map<string, boolean> {
  const out = new Map<string, boolean>()
  for (let i = 0; i < m.getNumExports(); i++) {
    const e = b.getExportInfo(m.getExportByIndex(i))
    if (e.name.startsWith(RESERVED_PREFIX)) throw invalid(`export names starting with ${RESERVED_PREFIX} are reserved (${e.name})`)
    if (e.kind !== b.ExternalFunction) continue
    const f = b.getFunctionInfo(m.getFunction(e.value as string))
    out.set(e.name, f.params === b.none && f.results === b.none)
  }
  return out
}

/**
 * Parses and checks a module. On success returns the binaryen module (features set to the allowed ones;
 * the caller owns and disposes it) and its facts. Throws INVALID_WASM or WASM_IMPORT_NOT_ALLOWED.
 */
export function inspectModule(b: Binaryen, bytes: Uint8Array): { module: BinaryenModule; facts: ModuleFacts } {
  checkWithV8(bytes)
  // Only bytes V8 accepted reach binaryen: binaryen aborts its whole instance on some malformed input.
  const m = b.readBinary(bytes, b.Features.All)
  try {
    const memory = inspectMemory(b, m)
    checkImportSignatures(b, m)
    const functionExports = inspectExports(b, m)
    const tableElements = inspectTables(b, m)
    checkFeatures(b, m)
    return { module: m, facts: { ...memory, functionExports, tableElements } }
  } catch (e) {
    m.dispose()
    throw e
  }
}

/** Exports named in a refusal at most; more are counted. */
const EXPORTS_LISTED_MAX = 20

/**
 * The module's function bodies, for a refusal of an export name it lacks: export names are case-sensitive
 * while function names are not (`CREATE FUNCTION t.Deposit` looks for 'Deposit'), so a near miss shows.
 */
function exportsListed(facts: ModuleFacts): string {
  const names = [...facts.functionExports].filter(([name, voidSignature]) => voidSignature && !name.startsWith('__')).map(([name]) => name)
  if (names.length === 0) return 'it exports no function of signature () -> ()'
  const more = names.length > EXPORTS_LISTED_MAX ? ` and ${names.length - EXPORTS_LISTED_MAX} more` : ''
  return `it exports ${names.slice(0, EXPORTS_LISTED_MAX).join(', ')}${more}`
}

/** The checks that depend on the function definition. */
export function checkFunction(facts: ModuleFacts, fn: Pick<FunctionDef, 'exportName' | 'memoryBytes'>): void {
  const maxBytes = facts.memoryMaxPages * WASM_PAGE_BYTES
  if (maxBytes > fn.memoryBytes) {
    const remedy = maxBytes <= MEMORY_BYTES_MAX ? `register it WITH (MEMORY = ${maxBytes}), or declare a smaller maximum` : `MEMORY is at most ${MEMORY_BYTES_MAX} bytes: declare a smaller maximum`
    throw invalid(`memory maximum ${maxBytes} bytes (${facts.memoryMaxPages} pages) is above the function's MEMORY limit of ${fn.memoryBytes} bytes (${remedy})`)
  }
  const voidSignature = facts.functionExports.get(fn.exportName)
  if (voidSignature === undefined) throw invalid(`it does not export a function named '${fn.exportName}' (${exportsListed(facts)})`)
  if (!voidSignature) throw invalid(`export '${fn.exportName}' must have signature () -> ()`)
}
