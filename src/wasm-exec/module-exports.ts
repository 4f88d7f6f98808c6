// The exports of a WebAssembly module that can be Acheron functions, read straight from its binary
// (type, import, function and export sections). `CREATE FUNCTIONS t.*` uses it to name what it
// registers: it runs where the statement is planned, before any runtime sees the module, so it needs
// neither binaryen nor a compiled module. Registration still validates every function in full.
import { AcheronError } from '../errors.js'
import { isIdentifier } from '../schema/catalog.js'
import { RESERVED_PREFIX } from './abi-signatures.js'

/** One exported function, in the module's export order. */
export interface ExportedFunction {
  readonly name: string
  /** Its signature is `() -> ()`, the only one a function body may have (docs/functions.md). */
  readonly callable: boolean
}

const invalid = (reason: string): AcheronError => new AcheronError('INVALID_WASM', `invalid WebAssembly module: ${reason}`)

/** Whether bytes that are no module start as WebAssembly text does: `(module`, or a `;;` / `(;` comment, after blanks. */
export function looksLikeWat(bytes: Uint8Array): boolean {
  let i = 0
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++
  const head = new TextDecoder().decode(bytes.subarray(i, i + 7))
  return head === '(module' || head.startsWith(';;') || head.startsWith('(;')
}

/** The refusal of WebAssembly text where the binary belongs, saying what to do (registration reads only binaries). */
export function watGiven(): AcheronError {
  return invalid("not a WebAssembly module but WebAssembly text (WAT): compile it first (wat2wasm of npm's wabt: npx -p wabt wat2wasm f.wat -o f.wasm)")
}

class Reader {
  offset = 0
  constructor(private readonly bytes: Uint8Array) {}
  get done(): boolean { return this.offset >= this.bytes.length }
  u8(): number {
    const b = this.bytes[this.offset++]
    if (b === undefined) throw invalid('unexpected end of the module')
    return b
  }
  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0
    let shift = 0
    for (;;) {
      const b = this.u8()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
      if (shift > 28) throw invalid('a LEB128 number is longer than 32 bits')
    }
  }
  bytesOf(n: number): Uint8Array {
    if (this.offset + n > this.bytes.length) throw invalid('unexpected end of the module')
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }
  name(): string {
    return new TextDecoder().decode(this.bytesOf(this.u32()))
  }
  skipLimits(): void {
    const flags = this.u8()
    this.u32()
    if ((flags & 1) !== 0) this.u32()
  }
}

/**
 * The module's exported functions, in export order, with whether each has the `() -> ()` signature.
 * Throws INVALID_WASM when the bytes are not a module it can read.
 */
export function exportedFunctions(bytes: Uint8Array): ExportedFunction[] {
  const r = new Reader(bytes)
  const magic = r.bytesOf(8)
  if (magic[0] !== 0 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d || magic[4] !== 1) {
    throw looksLikeWat(bytes) ? watGiven() : invalid('not a WebAssembly module (bad magic or version)')
  }
  const typeIsUnit: boolean[] = []
  const funcTypes: number[] = []
  const exports: { name: string; index: number }[] = []
  while (!r.done) {
    const id = r.u8()
    const size = r.u32()
    const end = r.offset + size
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.u8() !== 0x60) throw invalid('a type that is not a function type')
        const params = r.u32(); r.bytesOf(params)
        const results = r.u32(); r.bytesOf(results)
        typeIsUnit.push(params === 0 && results === 0)
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        r.name(); r.name()
        const kind = r.u8()
        if (kind === 0) funcTypes.push(r.u32())
        else if (kind === 1) { r.u8(); r.skipLimits() }
        else if (kind === 2) r.skipLimits()
        else if (kind === 3) { r.u8(); r.u8() }
        else throw invalid(`an import of unknown kind ${kind}`)
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32())
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name()
        const kind = r.u8()
        const index = r.u32()
        if (kind === 0) exports.push({ name, index })
      }
    }
    r.offset = end
  }
  return exports.map(({ name, index }) => {
    const type = funcTypes[index]
    return { name, callable: type !== undefined && typeIsUnit[type] === true }
  })
}

/**
 * What `CREATE FUNCTIONS t.*` registers: every exported function of signature `() -> ()` except the
 * reserved and runtime-internal ones (names starting with `__`, such as AssemblyScript's `__new` or
 * the ABI's reserved `__acheron…`). Other exports (the memory, globals, helpers taking arguments) are
 * not functions a CALL could run, so they are left out rather than refused; so are exports whose name
 * cannot name a function (AssemblyScript's `ns.f` for a namespace, a WAT `my-func`), which
 * `CREATE FUNCTION t.f … EXPORT 'my-func'` still registers under a name of the author's choosing.
 */
export function registrableExports(bytes: Uint8Array): string[] {
  return exportedFunctions(bytes)
    .filter((e) => e.callable && !isReservedExportName(e.name) && isIdentifier(e.name))
    .map((e) => e.name)
}

/** A name the server keeps for itself or for the guest's runtime: never registered by `CREATE FUNCTIONS t.*`. */
export function isReservedExportName(name: string): boolean {
  return name.startsWith('__') || name.startsWith(RESERVED_PREFIX)
}
