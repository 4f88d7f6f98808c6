// The exported functions of a WebAssembly module, read from its binary in the browser: the type, import,
// function and export sections, as the server's src/wasm-exec/module-exports.ts reads them. Parsing the
// bytes ourselves keeps the page's CSP as it is: compiling with `new WebAssembly.Module` would need
// 'wasm-unsafe-eval' in script-src, for nothing but a list of names.

const SECTION_TYPE = 1
const SECTION_IMPORT = 2
const SECTION_FUNCTION = 3
const SECTION_EXPORT = 7
/** Names the server keeps for itself or for the guest's runtime (docs/sql.md, CREATE FUNCTIONS t.*). */
const RESERVED_NAME = /^__/

class Reader {
  constructor(bytes) { this.bytes = bytes; this.offset = 0 }
  get done() { return this.offset >= this.bytes.length }
  u8() {
    if (this.offset >= this.bytes.length) throw new Error('unexpected end of the module')
    return this.bytes[this.offset++]
  }
  /** An unsigned LEB128 of at most 32 bits. */
  u32() {
    let result = 0
    for (let shift = 0; ; shift += 7) {
      if (shift > 28) throw new Error('a LEB128 number is longer than 32 bits')
      const b = this.u8()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
    }
  }
  take(n) {
    if (this.offset + n > this.bytes.length) throw new Error('unexpected end of the module')
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }
  name() { return new TextDecoder('utf-8', { fatal: true }).decode(this.take(this.u32())) }
  limits() {
    const flags = this.u8()
    this.u32()
    if ((flags & 1) !== 0) this.u32()
  }
}

/**
 * Every exported function in export order: `{ name, callable }`, where `callable` says it can be an
 * Acheron function (signature `() -> ()`, name not reserved). Throws on bytes that are not a module.
 */
export function moduleExports(bytes) {
  const r = new Reader(bytes)
  const head = r.take(8)
  if (head[0] !== 0 || head[1] !== 0x61 || head[2] !== 0x73 || head[3] !== 0x6d || head[4] !== 1 || head[5] !== 0 || head[6] !== 0 || head[7] !== 0) {
    throw new Error('not a WebAssembly module (bad magic number or version)')
  }
  const typeIsUnit = []
  const funcTypes = []
  const exports = []
  while (!r.done) {
    const id = r.u8()
    const size = r.u32()
    const end = r.offset + size
    if (end > bytes.length) throw new Error('a section runs past the end of the module')
    if (id === SECTION_TYPE) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.u8() !== 0x60) throw new Error('a type that is not a function type')
        const params = r.u32(); r.take(params)
        const results = r.u32(); r.take(results)
        typeIsUnit.push(params === 0 && results === 0)
      }
    } else if (id === SECTION_IMPORT) {
      for (let n = r.u32(); n > 0; n--) {
        r.name(); r.name()
        const kind = r.u8()
        if (kind === 0) funcTypes.push(r.u32())
        else if (kind === 1) { r.u8(); r.limits() }
        else if (kind === 2) r.limits()
        else if (kind === 3) { r.u8(); r.u8() }
        else throw new Error(`an import of unknown kind ${kind}`)
      }
    } else if (id === SECTION_FUNCTION) {
      for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32())
    } else if (id === SECTION_EXPORT) {
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
    const unit = typeIsUnit[funcTypes[index]] === true
    return { name, callable: unit && !RESERVED_NAME.test(name), reason: !unit ? 'takes parameters or returns a value' : RESERVED_NAME.test(name) ? 'reserved name' : '' }
  })
}
