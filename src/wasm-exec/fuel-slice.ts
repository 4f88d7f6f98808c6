/**
 * Fuel in slices, and the wall-clock bound it makes possible on a thread that cannot be terminated.
 *
 * The instrumented code (fuel.ts) counts down an i64 global and, when it drops below zero, calls the host's
 * `__acheron.fuel_refill` before it would trap. The host loads the global with at most FUEL_SLICE_UNITS of
 * the chain's fuel and keeps the rest in the frame's reserve; a refill moves the next slice in. Whether a
 * call chain runs out of fuel, and where, is therefore exactly as without slices: a region traps iff the
 * global plus the reserve is below zero, which is the single counter of before.
 *
 * Every refill (at most every FUEL_SLICE_UNITS units, ~1 ms of guest work) also looks at the clock: when the
 * thread's current transaction has run past its deadline, the refill throws TxnWallClockExceeded (as does
 * every function invocation, for chains of nested calls that spend little fuel each). That is
 * no outcome of the transaction (a replay on another machine could be faster): the executor treats it as
 * a failure of the environment, and the whole batch is voided, retryably, with no position, exactly as
 * when a worker thread is terminated by its watchdog. Time decides only that, never what commits.
 * Execution on the coordinator's thread (`workers: 0`) sets a deadline (src/schema/execution-deadline.ts);
 * execution workers keep their own watchdog (src/txn/worker-pool.ts), which terminates them.
 */
import { checkDeadline } from '../schema/execution-deadline.js'
import type { WasmGlobal } from './wasm-api.js'

/** Fuel units the instrumented code may spend between two calls to the host. */
export const FUEL_SLICE_UNITS = 1_000_000

const SLICE = BigInt(FUEL_SLICE_UNITS)

/** What the host keeps of one invocation's fuel besides the global the guest counts down. */
export interface FuelHolder {
  fuel: WasmGlobal | undefined
  fuelReserve: number
}

/** Loads `remaining` units: one slice into the global, the rest into the reserve. */
export function loadFuel(h: FuelHolder, remaining: number): void {
  const total = Math.max(0, Math.floor(remaining))
  const slice = Math.min(total, FUEL_SLICE_UNITS)
  // A whole slice (the usual case) from the one BigInt kept for it: no allocation per invocation.
  ;(h.fuel as WasmGlobal).value = slice === FUEL_SLICE_UNITS ? SLICE : BigInt(slice)
  h.fuelReserve = total - slice
}

/** The chain's fuel left (the global and the reserve), never below zero. */
export function fuelLeft(h: FuelHolder): number {
  return Math.max(0, Number((h.fuel as WasmGlobal).value as bigint) + h.fuelReserve)
}

/**
 * The global is below zero: moves the next slice in. When the reserve does not cover the deficit, the
 * global is left at the true (negative) count and the caller traps: OUT_OF_FUEL, as without slices.
 * Throws TxnWallClockExceeded when the thread's deadline has passed.
 */
export function refillFuel(h: FuelHolder, fn: string): void {
  const fuel = h.fuel as WasmGlobal
  const total = (fuel.value as bigint) + BigInt(h.fuelReserve)
  if (total < 0n) {
    fuel.value = total
    h.fuelReserve = 0
    return
  }
  checkDeadline(fn)
  const slice = total < SLICE ? total : SLICE
  fuel.value = slice
  h.fuelReserve = Number(total - slice)
}
