/**
 * The host side of the WebAssembly ABI v1 (CONTRACT.md §6) over an InvocationContext. One `Host` per
 * runtime builds the import functions once; they act on the current `Frame`, which the runtime swaps on
 * every (possibly nested) invocation, so no closure is allocated per call.
 *
 * Conversions (documented in docs/functions.md): `*_int` of a REAL truncates toward zero (saturating,
 * NaN → 0) and of anything else but INTEGER gives 0; `*_real` of an INTEGER converts, of anything else but
 * REAL gives 0; `*_len`/`*_read` see TEXT as UTF-8 and BLOB as bytes, anything else as empty. A NaN coming
 * from the guest (set_real, call_arg_real, ret_real) becomes NULL, as SQLite would store it.
 */
import { AcheronError } from '../errors.js'
import type { InvocationContext } from '../schema/function-runtime.js'
import { INT64_MAX, INT64_MIN, valueTypeTag, type SqlValue } from '../values.js'
import { FUEL_MAX, IDENTIFIER_LENGTH_MAX, type TableDef } from '../schema/catalog.js'
import { ABI_IMPORTS } from './abi-signatures.js'
import { FUEL_BYTES_PER_UNIT, fuelForBytes } from './fuel-bytes.js'
import { refillFuel } from './fuel-slice.js'
import { GuestNames } from './guest-names.js'
import type { WasmGlobal, WasmMemory } from './wasm-api.js'
import { WRITTEN_END_NONE, WRITTEN_START_NONE } from './written-range.js'

/** Longest text/blob one host call copies out of guest memory: a guest cannot hand the host more. */
export const HOST_BYTES_MAX = 16 * 1024 * 1024
/** Arguments one call_begin … call_invoke may push (the key included). */
export const CALL_ARGS_MAX = 256
/** Bytes of one log line taken from the guest; the rest is cut, and the line says how long it was. */
export const LOG_LINE_BYTES_MAX = 4096
/** An abort_txn message reaches the client cut to this many bytes, with a marker (it is a message, not data). */
export const ABORT_MESSAGE_BYTES_MAX = 4096

/** Guest text for a person (a log line, an abort message): cut at `max` bytes with a marker saying so. */
function cappedText(bytes: Uint8Array, max: number, what: string): string {
  if (bytes.length <= max) return decoder.decode(bytes)
  return `${decoder.decode(bytes.subarray(0, max))}… [${what} truncated: ${bytes.length} bytes, the first ${max} kept]`
}
/** Log lines one call chain (one CALL, nested calls included) may write; later ones are dropped, with one line saying so. */
export const LOG_LINES_PER_CALL_MAX = 64
/**
 * No column name is longer (catalog.ts IDENTIFIER_LENGTH_MAX, ASCII only): `col` with a longer name is -1
 * without decoding or looking it up.
 */
const COLUMN_NAME_BYTES_MAX = IDENTIFIER_LENGTH_MAX

export { FUEL_BYTES_PER_UNIT }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: false })
const EMPTY = new Uint8Array(0)

/** Marker for "no ctx error recorded". */
const NONE: unique symbol = Symbol('none')

/**
 * Bytes of instances (memories at their current size, tables) one call chain may hold at once. A thread
 * runs one chain at a time, so this is also what a thread's live instances hold; 64 nested calls of
 * modules with 16 MiB memories fit. Counted from declared and current sizes, never from the heap.
 */
export const CHAIN_INSTANCE_BYTES_MAX = 1024 * 1024 * 1024

/**
 * What a whole call chain (one top-level invocation and every nested one) shares on the host side: its
 * log lines, and the bytes it holds outside guest memory, counted deterministically (a TEXT counts its
 * UTF-16 length, a BLOB its bytes): text/blob call arguments pushed and not yet returned from, results and
 * return values held, and the row values its functions wrote (per row and column, the last one). They may
 * not exceed the MEMORY limit of the chain's first function (MEMORY_LIMIT), as its guest memory may not.
 */
export class Chain {
  /** Log lines written so far (LOG_LINES_PER_CALL_MAX). */
  logLines = 0
  hostBytes = 0
  instanceBytes = 0
  /** Bytes of the row values written, per table, key and column. */
  private rowValues: Map<TableDef, Map<SqlValue, number[]>> | undefined = undefined

  constructor(private readonly fn: { readonly name: string; readonly memoryBytes: number }) {}

  /** Adds `bytes` held (negative: released); MEMORY_LIMIT beyond the chain's limit. */
  hold(bytes: number, what: string): void {
    this.hostBytes += bytes
    if (bytes > 0 && this.hostBytes > this.fn.memoryBytes) {
      throw new AcheronError('MEMORY_LIMIT', `function ${this.fn.name} exceeded its memory limit: the call chain holds ${this.hostBytes} bytes of host-side values (${what}; arguments, results and row values count), above its MEMORY limit of ${this.fn.memoryBytes} bytes`)
    }
  }

  /** A row value written: what the column held before from this chain is released. */
  holdRowValue(table: TableDef, key: SqlValue, c: number, bytes: number): void {
    this.rowValues ??= new Map()
    let byKey = this.rowValues.get(table)
    if (byKey === undefined) this.rowValues.set(table, byKey = new Map())
    let cols = byKey.get(key)
    if (cols === undefined) byKey.set(key, cols = [])
    const before = cols[c] ?? 0
    cols[c] = bytes
    this.hold(bytes - before, 'row values written')
  }

  /** Adds an instance's bytes (negative: released); MEMORY_LIMIT beyond CHAIN_INSTANCE_BYTES_MAX. */
  holdInstance(bytes: number): void {
    this.instanceBytes += bytes
    if (bytes > 0 && this.instanceBytes > CHAIN_INSTANCE_BYTES_MAX) {
      throw new AcheronError('MEMORY_LIMIT', `function ${this.fn.name} exceeded the memory of a call chain: its instances (memories and tables of every nested call) would hold ${this.instanceBytes} bytes, above CHAIN_INSTANCE_BYTES_MAX (${CHAIN_INSTANCE_BYTES_MAX} bytes)`)
    }
  }
}

/** The error of a call chain whose fuel is spent, wherever it ran out (instrumented code or a host call). */
export function outOfFuelError(fn: { readonly name: string; readonly fuel: number }): AcheronError {
  return new AcheronError('OUT_OF_FUEL', `function ${fn.name} ran out of fuel (the call chain's fuel is spent; the function's FUEL is ${fn.fuel}). A chain runs on the FUEL of the function its CALL named: raise it with CREATE OR REPLACE FUNCTION … WITH (FUEL = n), at most ${FUEL_MAX}`)
}

/** Bytes of a value as the ABI moves it, charged before encoding: UTF-16 length of a TEXT, length of a BLOB. */
function valueBytes(v: SqlValue): number {
  if (typeof v === 'string') return v.length
  return v instanceof Uint8Array ? v.byteLength : 0
}

/**
 * The state of one invocation, as the host imports see it. The runtime reuses a frame per nesting depth
 * (runtime.ts): every field is set in `reset`, which a new frame runs too, so that a reused one starts
 * exactly as a new one would.
 */
export class Frame {
  /** A view of guest memory; refreshed when memory.grow detached the old buffer. */
  private u8!: Uint8Array
  private memoryRef!: WasmMemory | undefined
  callName!: string | undefined
  /**
   * The values pushed since call_begin, the key first: the first `callArgCount` slots of an array the
   * frame keeps (a new array per call grew to 17 slots at its first push, for the two or three values a
   * call usually pushes).
   */
  private callArgs: SqlValue[] = []
  callArgCount!: number
  result!: SqlValue
  ret!: SqlValue
  /** Bytes this frame holds in its chain's count: pending call arguments, the last result, the return value, its instance. */
  argBytes!: number
  resultBytes!: number
  retBytes!: number
  instanceBytes!: number
  /** Pages the module declares as its memory maximum, for the MEMORY_LIMIT message (runtime.ts). */
  memoryMaxPages!: number
  /** The part of `instanceBytes` its tables are (constant; the memory part is re-read when it may have grown). */
  tableBytes!: number
  /**
   * The guest memory host calls wrote, [start, end) (empty while start >= end), for the instance pool to
   * reset along with what the guest wrote itself.
   */
  hostWrittenStart!: number
  hostWrittenEnd!: number
  /** The last error a ctx method threw, so that it is rethrown unchanged rather than mapped. */
  ctxError!: unknown
  /** The instance's fuel counter, grow-failed flag and call-depth counter (fuel.ts), once attached. */
  fuel!: WasmGlobal | undefined
  /** The chain's fuel beyond the slice in `fuel` (fuel-slice.ts). */
  fuelReserve!: number
  growFailed!: WasmGlobal | undefined
  depth!: WasmGlobal | undefined
  ctx!: InvocationContext
  chain!: Chain

  constructor(ctx: InvocationContext, chain: Chain) {
    this.reset(ctx, chain)
  }

  /** Starts an invocation of `ctx` in `chain`, as a new frame. */
  reset(ctx: InvocationContext, chain: Chain): void {
    this.u8 = EMPTY
    this.memoryRef = undefined
    this.callName = undefined
    this.callArgCount = 0
    this.result = null
    this.ret = null
    this.argBytes = 0
    this.resultBytes = 0
    this.retBytes = 0
    this.instanceBytes = 0
    this.memoryMaxPages = 0
    this.tableBytes = 0
    this.hostWrittenStart = WRITTEN_START_NONE
    this.hostWrittenEnd = WRITTEN_END_NONE
    this.ctxError = NONE
    this.fuel = undefined
    this.fuelReserve = 0
    this.growFailed = undefined
    this.depth = undefined
    this.ctx = ctx
    this.chain = chain
  }

  /** What it held, let go once it returned (a pooled frame keeps no transaction's values alive). */
  clear(): void {
    this.dropArgs()
    this.result = null
    this.ret = null
    this.ctxError = NONE
    this.u8 = EMPTY
    this.memoryRef = undefined
  }

  /** Pending call arguments are dropped (a new call_begin, or the call ran). */
  dropArgs(): void {
    this.chain.hold(-this.argBytes, '')
    this.argBytes = 0
    this.callArgs.fill(null, 0, this.callArgCount)
    this.callArgCount = 0
  }

  pushArg(v: SqlValue): void {
    this.callArgs[this.callArgCount++] = v
  }

  /** The key and the arguments pushed, taken (an array of its own for the arguments, as the callee keeps them). */
  takeArgs(): { key: SqlValue; args: SqlValue[] } {
    const key = this.callArgs[0] as SqlValue
    const args = this.callArgs.slice(1, this.callArgCount)
    this.callArgs.fill(null, 0, this.callArgCount)
    this.callArgCount = 0
    return { key, args }
  }

  setResult(v: SqlValue): void {
    this.chain.hold(-this.resultBytes, '')
    this.result = v
    this.resultBytes = valueBytes(v)
    this.chain.hold(this.resultBytes, 'a call result')
  }

  setRet(v: SqlValue): void {
    this.chain.hold(-this.retBytes, '')
    this.ret = v
    this.retBytes = valueBytes(v)
    this.chain.hold(this.retBytes, 'the return value')
  }

  /** Counts this frame's instance (`bytes` now, at its current memory size) in the chain. */
  holdInstance(bytes: number): void {
    const delta = bytes - this.instanceBytes
    this.instanceBytes = bytes
    this.chain.holdInstance(delta)
  }

  /** Everything this frame held is released (it returned or failed). */
  releaseAll(): void {
    this.chain.hold(-(this.argBytes + this.resultBytes + this.retBytes), '')
    this.chain.holdInstance(-this.instanceBytes)
    this.argBytes = this.resultBytes = this.retBytes = this.instanceBytes = 0
  }

  /**
   * Charges the fuel for moving `bytes` bytes (fuel-bytes.ts), before the work: OUT_OF_FUEL when the chain's
   * fuel does not cover it, exactly as the instrumented code would trap.
   */
  chargeBytes(bytes: number): void {
    const units = fuelForBytes(bytes)
    if (units === 0) return
    const fuel = this.fuel
    if (fuel === undefined) throw new Error('acheron invariant violated: host call before the frame has fuel')
    const left = (fuel.value as bigint) - BigInt(units)
    fuel.value = left
    if (left < 0n) {
      refillFuel(this, this.ctx.fn.name)
      if ((fuel.value as bigint) < 0n) throw outOfFuelError(this.ctx.fn)
    }
  }

  /** A value about to be encoded or copied for the guest (`*_len`, `*_read`): its bytes are charged first. */
  charged(v: SqlValue): SqlValue {
    this.chargeBytes(valueBytes(v))
    return v
  }

  /** `bytes`: a view of `memory` (the pooled instance's, saving an allocation per invocation). */
  attach(memory: WasmMemory, bytes: Uint8Array, fuel: WasmGlobal, growFailed: WasmGlobal, depth: WasmGlobal): void {
    this.memoryRef = memory
    this.u8 = bytes
    this.fuel = fuel
    this.growFailed = growFailed
    this.depth = depth
  }

  get memory(): WasmMemory {
    if (this.memoryRef === undefined) throw new Error('acheron invariant violated: frame has no memory yet')
    return this.memoryRef
  }

  /**
   * A trap the host detects in this frame's host call (a bad pointer, an argument index out of range), worded
   * as a trap of the guest itself is (runtime.ts): it names the function, which in a call chain may be a callee.
   */
  trap(message: string): AcheronError {
    return new AcheronError('WASM_TRAP', `function ${this.ctx.fn.name} trapped: ${message}`)
  }

  /** Records what a ctx method threw (so that invoke rethrows it unchanged) and returns it. */
  ctxFailed(e: unknown): unknown {
    this.ctxError = e
    return e
  }

  hasCtxError(e: unknown): boolean {
    return this.ctxError !== NONE && this.ctxError === e
  }

  bytes(): Uint8Array {
    if (this.u8.byteLength === 0) this.u8 = new Uint8Array(this.memory.buffer)
    return this.u8
  }

  /** Guest bytes [ptr, ptr+len) as a view; out of bounds is the guest's fault: a trap. */
  view(ptr: number, len: number, what: string): Uint8Array {
    const p = this.chargedRange(ptr, len, what)
    return this.u8.subarray(p, p + (len >>> 0))
  }

  /** A name the guest passes by pointer (a column, a callee): checked and charged as `view`, decoded once. */
  name(ptr: number, len: number, what: string, names: GuestNames): string {
    const p = this.chargedRange(ptr, len, what)
    return names.decode(this.u8, p, len >>> 0)
  }

  /** Checks that [ptr, ptr+len) is in guest memory (a trap if not), charges its bytes, returns ptr unsigned. */
  private chargedRange(ptr: number, len: number, what: string): number {
    const p = ptr >>> 0
    const n = len >>> 0
    const mem = this.bytes()
    if (n > HOST_BYTES_MAX) throw this.trap(`${what}: length ${n} is above the limit of ${HOST_BYTES_MAX} bytes`)
    if (p + n > mem.length) throw this.trap(`${what}: guest memory access out of bounds (ptr ${p}, len ${n}, memory ${mem.length} bytes)`)
    this.chargeBytes(n)
    return p
  }

  text(ptr: number, len: number, what: string): string {
    return decoder.decode(this.view(ptr, len, what))
  }

  blob(ptr: number, len: number, what: string): Uint8Array {
    return this.view(ptr, len, what).slice()
  }

  /** Copies `src` into guest memory (its bytes were charged with `charged` before it was encoded). */
  write(dst: number, src: Uint8Array, what: string): void {
    if (src.length === 0) return
    const p = dst >>> 0
    const mem = this.bytes()
    if (p + src.length > mem.length) throw this.trap(`${what}: guest memory access out of bounds (ptr ${p}, len ${src.length}, memory ${mem.length} bytes)`)
    mem.set(src, p)
    const start = dst >>> 0
    if (start < this.hostWrittenStart) this.hostWrittenStart = start
    if (start + src.length > this.hostWrittenEnd) this.hostWrittenEnd = start + src.length
  }
}

let lastText = ''
let lastTextBytes = EMPTY

/** TEXT as UTF-8, BLOB as itself, anything else empty. A one-entry cache serves the usual len-then-read pair. */
function bytesOf(v: SqlValue): Uint8Array {
  if (typeof v === 'string') {
    if (v !== lastText) {
      lastTextBytes = encoder.encode(v)
      lastText = v
    }
    return lastTextBytes
  }
  return v instanceof Uint8Array ? v : EMPTY
}

const I64_MAX_F = 9223372036854775807
function asInt(v: SqlValue): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 0n
    if (v >= I64_MAX_F) return INT64_MAX
    if (v <= -I64_MAX_F) return INT64_MIN
    return BigInt(Math.trunc(v))
  }
  return 0n
}

function asReal(v: SqlValue): number {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  return 0
}

/** NaN bit patterns are not deterministic across CPUs; SQLite stores NaN as NULL, and so does the ABI. */
function realValue(x: number): SqlValue {
  return Number.isNaN(x) ? null : x
}

type HostFn = (...args: never[]) => unknown

export class Host {
  frame: Frame | undefined = undefined
  readonly imports: { acheron: Record<string, HostFn>; env: Record<string, HostFn>; fuelRefill: () => void }

  /** `onCall` runs a nested call (it syncs fuel around ctx.call); `onAbort` maps env.abort to an error. */
  constructor(onCall: (f: Frame, name: string, key: SqlValue, args: SqlValue[]) => SqlValue, onAbort: (f: Frame, message: string) => never) {
    const cur = (): Frame => {
      const f = this.frame
      if (f === undefined) throw new Error('acheron invariant violated: host import called outside an invocation')
      return f
    }
    // Every ctx method runs through `viaCtx`, which records what it threw so that invoke rethrows it unchanged.
    const names = new GuestNames()
    const viaCtx = <T>(f: Frame, run: (ctx: InvocationContext) => T): T => {
      try {
        return run(f.ctx)
      } catch (e) {
        throw f.ctxFailed(e)
      }
    }
    const arg = (f: Frame, i: number): SqlValue => {
      if (i < 0 || i >= f.ctx.args.length) {
        const n = f.ctx.args.length
        throw f.trap(`argument index ${i} out of range: the call passed ${n === 0 ? 'no argument' : n === 1 ? '1 argument' : `${n} arguments`} after its key (arguments count from 0 after the key: CALL t.f(key, arg0, arg1, …))`)
      }
      return f.ctx.args[i] as SqlValue
    }
    // The hot ctx calls are written out rather than through viaCtx: a closure per host call showed in the
    // allocation profile of a transfer.
    const get = (f: Frame, c: number): SqlValue => {
      try {
        return f.ctx.getColumn(c)
      } catch (e) {
        throw f.ctxFailed(e)
      }
    }
    const set = (f: Frame, c: number, v: SqlValue): void => {
      try {
        f.ctx.setColumn(c, v)
      } catch (e) {
        throw f.ctxFailed(e)
      }
      if (typeof v === 'string' || v instanceof Uint8Array) f.chain.holdRowValue(f.ctx.table, f.ctx.key, c, valueBytes(v))
    }
    const push = (f: Frame, v: SqlValue): void => {
      if (f.callName === undefined) throw f.trap('call_arg_* without call_begin')
      if (f.callArgCount >= CALL_ARGS_MAX) throw f.trap(`a call may push at most ${CALL_ARGS_MAX} arguments`)
      const bytes = valueBytes(v)
      f.argBytes += bytes
      f.chain.hold(bytes, 'call arguments pushed')
      f.pushArg(v)
    }

    const acheron: Record<string, HostFn> = {
      key_type: () => valueTypeTag(cur().ctx.key),
      key_int: () => asInt(cur().ctx.key),
      key_real: () => asReal(cur().ctx.key),
      key_len: () => { const f = cur(); return bytesOf(f.charged(f.ctx.key)).length },
      key_read: (dst: number) => { const f = cur(); f.write(dst, bytesOf(f.charged(f.ctx.key)), 'key_read') },
      arg_count: () => cur().ctx.args.length,
      arg_type: (i: number) => valueTypeTag(arg(cur(), i)),
      arg_int: (i: number) => asInt(arg(cur(), i)),
      arg_real: (i: number) => asReal(arg(cur(), i)),
      arg_len: (i: number) => { const f = cur(); return bytesOf(f.charged(arg(f, i))).length },
      arg_read: (i: number, dst: number) => { const f = cur(); f.write(dst, bytesOf(f.charged(arg(f, i))), 'arg_read') },
      col: (ptr: number, len: number) => {
        const f = cur()
        if (len >>> 0 > COLUMN_NAME_BYTES_MAX) {
          f.view(ptr, len, 'col')
          return -1
        }
        const name = f.name(ptr, len, 'col', names)
        try {
          return f.ctx.columnIndex(name)
        } catch (e) {
          throw f.ctxFailed(e)
        }
      },
      row_exists: () => { const f = cur(); return viaCtx(f, (ctx) => ctx.rowExists()) ? 1 : 0 },
      txn_time_ms: () => { const f = cur(); return BigInt(viaCtx(f, (ctx) => ctx.txnTimeMs())) },
      get_type: (c: number) => valueTypeTag(get(cur(), c)),
      get_int: (c: number) => asInt(get(cur(), c)),
      get_real: (c: number) => asReal(get(cur(), c)),
      get_len: (c: number) => { const f = cur(); return bytesOf(f.charged(get(f, c))).length },
      get_read: (c: number, dst: number) => { const f = cur(); f.write(dst, bytesOf(f.charged(get(f, c))), 'get_read') },
      set_int: (c: number, v: bigint) => set(cur(), c, v),
      set_real: (c: number, v: number) => set(cur(), c, realValue(v)),
      set_text: (c: number, ptr: number, len: number) => { const f = cur(); set(f, c, f.text(ptr, len, 'set_text')) },
      set_blob: (c: number, ptr: number, len: number) => { const f = cur(); set(f, c, f.blob(ptr, len, 'set_blob')) },
      set_null: (c: number) => set(cur(), c, null),
      delete_row: () => { const f = cur(); viaCtx(f, (ctx) => ctx.deleteRow()) },
      call_begin: (ptr: number, len: number) => { const f = cur(); f.callName = f.name(ptr, len, 'call_begin', names); f.dropArgs() },
      call_arg_int: (v: bigint) => push(cur(), v),
      call_arg_real: (v: number) => push(cur(), realValue(v)),
      call_arg_text: (ptr: number, len: number) => { const f = cur(); push(f, f.text(ptr, len, 'call_arg_text')) },
      call_arg_blob: (ptr: number, len: number) => { const f = cur(); push(f, f.blob(ptr, len, 'call_arg_blob')) },
      call_arg_null: () => push(cur(), null),
      call_invoke: () => {
        const f = cur()
        const name = f.callName
        if (name === undefined) throw f.trap('call_invoke without call_begin')
        if (f.callArgCount === 0) throw f.trap(`call_invoke of ${name} without a key (push the key first)`)
        const { key, args } = f.takeArgs()
        f.callName = undefined
        f.setResult(null)
        // The arguments stay held (the callee has them) until the call returns.
        try {
          f.setResult(onCall(f, name, key, args))
        } finally {
          f.dropArgs()
        }
        return valueTypeTag(f.result)
      },
      result_int: () => asInt(cur().result),
      result_real: () => asReal(cur().result),
      result_len: () => { const f = cur(); return bytesOf(f.charged(f.result)).length },
      result_read: (dst: number) => { const f = cur(); f.write(dst, bytesOf(f.charged(f.result)), 'result_read') },
      ret_int: (v: bigint) => cur().setRet(v),
      ret_real: (v: number) => cur().setRet(realValue(v)),
      ret_text: (ptr: number, len: number) => { const f = cur(); f.setRet(f.text(ptr, len, 'ret_text')) },
      ret_blob: (ptr: number, len: number) => { const f = cur(); f.setRet(f.blob(ptr, len, 'ret_blob')) },
      ret_null: () => cur().setRet(null),
      abort_txn: (ptr: number, len: number) => { throw new AcheronError('TXN_ABORTED', cappedText(cur().view(ptr, len, 'abort_txn'), ABORT_MESSAGE_BYTES_MAX, 'abort message')) },
      log: (ptr: number, len: number) => {
        const f = cur()
        const bytes = f.view(ptr, len, 'log')
        const n = ++f.chain.logLines
        if (n > LOG_LINES_PER_CALL_MAX + 1) return
        const line = n > LOG_LINES_PER_CALL_MAX
          ? `[log: lines after the first ${LOG_LINES_PER_CALL_MAX} of this call dropped]`
          : cappedText(bytes, LOG_LINE_BYTES_MAX, 'log line')
        viaCtx(f, (ctx) => ctx.log(line))
      },
    }
    for (const name of ABI_IMPORTS.keys()) {
      if (typeof acheron[name] !== 'function') throw new Error(`acheron invariant violated: ABI import ${name} has no host implementation`)
    }
    const env: Record<string, HostFn> = {
      abort: (msg: number, file: number, line: number, column: number) => {
        const f = cur()
        const text = (p: number): string | undefined => assemblyScriptString(f, p)
        const where = text(file)
        onAbort(f, `${text(msg) ?? 'abort'}${where !== undefined ? ` at ${where}:${line}:${column}` : ''}`)
      },
    }
    // `__acheron.fuel_refill` (fuel-slice.ts): the instrumented code spent its slice.
    const fuelRefill = (): void => {
      const f = cur()
      refillFuel(f, f.ctx.fn.name)
    }
    this.imports = { acheron, env, fuelRefill }
  }
}

/** Decodes an AssemblyScript string (UTF-16LE, byte length at ptr-4); undefined if it does not fit. */
function assemblyScriptString(f: Frame, ptr: number): string | undefined {
  const p = ptr >>> 0
  const mem = f.bytes()
  if (p < 4 || p > mem.length) return undefined
  const len = (mem[p - 4]! | (mem[p - 3]! << 8) | (mem[p - 2]! << 16) | (mem[p - 1]! << 24)) >>> 0
  if (len > 4096 || p + len > mem.length || len % 2 !== 0) return undefined
  let s = ''
  for (let i = 0; i < len; i += 2) s += String.fromCharCode(mem[p + i]! | (mem[p + i + 1]! << 8))
  return s
}

