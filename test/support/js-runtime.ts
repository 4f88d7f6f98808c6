// A test-only function runtime: function bodies are JS functions named by the export, so the engine's
// tests do not depend on the WebAssembly runtime. Loaded by module URL in every thread, like `wasm`.
import { AcheronError } from '../../src/errors.js'
import type { FunctionRuntime, InvocationContext } from '../../src/schema/function-runtime.js'
import type { SqlValue } from '../../src/values.js'

import type { Step } from '../../src/testing/steps.js'
export type { Step }

/** Fuel charged per step (and per unit of `spin`). */
export const STEP_FUEL = 1

function charge(ctx: InvocationContext, units: number): void {
  ctx.fuel.remaining -= units
  if (ctx.fuel.remaining < 0) throw new AcheronError('OUT_OF_FUEL', `${ctx.fn.name} ran out of fuel`)
}

function col(ctx: InvocationContext, name: string): number {
  const c = ctx.columnIndex(name)
  if (c < 0) throw new AcheronError('UNKNOWN_COLUMN', `${ctx.table.name} has no column ${name}`)
  return c
}

function int(v: SqlValue): bigint {
  return typeof v === 'bigint' ? v : 0n
}

/**
 * Interprets a program at this key over columns `v` (INTEGER) and `log` (TEXT); returns the reads and
 * call results as JSON text.
 */
function run(ctx: InvocationContext): SqlValue {
  const steps = JSON.parse(String(ctx.args[0])) as Step[]
  const out: unknown[] = []
  const v = col(ctx, 'v')
  const log = col(ctx, 'log')
  for (const s of steps) {
    charge(ctx, STEP_FUEL)
    switch (s.op) {
      case 'read': out.push(ctx.rowExists() ? [String(ctx.getColumn(v)), ctx.getColumn(log)] : null); break
      case 'write': ctx.setColumn(v, BigInt(s.value)); break
      case 'incr': ctx.setColumn(v, int(ctx.getColumn(v)) + BigInt(s.by)); break
      case 'append': {
        const cur = ctx.getColumn(log)
        ctx.setColumn(log, typeof cur === 'string' && cur !== '' ? `${cur},${s.item}` : s.item)
        break
      }
      case 'abortIf':
        if (int(ctx.getColumn(v)) > BigInt(s.gt)) throw new AcheronError('TXN_ABORTED', `v > ${s.gt} at ${String(ctx.key)}`)
        break
      case 'delete': ctx.deleteRow(); break
      case 'call': out.push(ctx.call(s.fn, BigInt(s.key), [JSON.stringify(s.steps)])); break
      case 'spin': charge(ctx, s.units * STEP_FUEL); break
      case 'time': {
        const ms = String(ctx.txnTimeMs())
        out.push(ms)
        const cur = ctx.getColumn(log)
        ctx.setColumn(log, typeof cur === 'string' && cur !== '' ? `${cur},@${ms}` : `@${ms}`)
        break
      }
    }
  }
  return JSON.stringify(out)
}

const FUNCTIONS: Record<string, (ctx: InvocationContext) => SqlValue> = {
  run,
  deposit(ctx) {
    const b = col(ctx, 'balance')
    const next = int(ctx.getColumn(b)) + int(ctx.args[0] ?? null)
    ctx.setColumn(b, next)
    return next
  },
  withdraw: (ctx) => withdraw(ctx, int(ctx.args[0] ?? null)),
  /** transfer(from; to, amount): withdraw here, deposit there, in one transaction. */
  transfer(ctx) {
    const amount = int(ctx.args[1] ?? null)
    const left = withdraw(ctx, amount)
    ctx.call(`${ctx.table.name}.deposit`, ctx.args[0] ?? null, [amount])
    return left
  },
  /**
   * chase(hops, modulus): pointer chasing over `next` — counts a hit here, follows `next` for `hops`
   * more keys, then re-points this row (next := (next + key) mod modulus), so that later transactions
   * follow other paths: footprints depend on data, and the fallback misses locks.
   */
  chase(ctx) {
    const hops = int(ctx.args[0] ?? null)
    const modulus = int(ctx.args[1] ?? null)
    const next = col(ctx, 'next')
    const hits = col(ctx, 'hits')
    const to = int(ctx.getColumn(next))
    ctx.setColumn(hits, int(ctx.getColumn(hits)) + 1n)
    const seen = hops > 0n ? int(ctx.call(ctx.fn.name, to, [hops - 1n, modulus])) : 0n
    ctx.setColumn(next, (to + int(ctx.key)) % modulus)
    return seen + 1n
  },
  /** Recurses at key+1 until the engine's call-depth limit stops it. */
  recurse(ctx) {
    return ctx.call(ctx.fn.name, int(ctx.key) + 1n, [])
  },
  /** Writes a NULL into a NOT NULL column. */
  nullify(ctx) {
    ctx.setColumn(col(ctx, 'balance'), null)
    return null
  },
  /** busy(µs): keeps its thread busy that long, as an expensive transaction would (timing tests only). */
  busy(ctx) {
    const until = performance.now() + Number(int(ctx.args[0] ?? null)) / 1000
    while (performance.now() < until) { /* spin */ }
    return null
  },
  /** Ends the thread it runs on, as a crashing worker would (never use with workers: 0). */
  exitThread() {
    process.exit(3)
  },
  /** Throws a plain JS error, as a buggy runtime would. */
  crash() {
    throw new Error('runtime bug')
  },
}

function withdraw(ctx: InvocationContext, amount: bigint): bigint {
  const b = col(ctx, 'balance')
  const bal = int(ctx.getColumn(b))
  if (bal < amount) throw new AcheronError('TXN_ABORTED', `insufficient funds: ${bal} < ${amount}`)
  ctx.setColumn(b, bal - amount)
  return bal - amount
}

export function createRuntime(): FunctionRuntime {
  return {
    kind: 'js',
    validate(_source, fn) {
      if (!(fn.exportName in FUNCTIONS)) throw new AcheronError('INVALID_WASM', `no JS test function '${fn.exportName}'`)
    },
    invoke(ctx, _source) {
      const f = FUNCTIONS[ctx.fn.exportName]
      if (f === undefined) throw new AcheronError('INVALID_WASM', `no JS test function '${ctx.fn.exportName}'`)
      return f(ctx)
    },
  }
}

/** The URL to pass as `runtimes: { js: JS_RUNTIME }`. */
export const JS_RUNTIME = import.meta.url
