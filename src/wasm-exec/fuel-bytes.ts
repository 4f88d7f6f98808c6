/**
 * Fuel for work whose size an operand decides. A `memory.fill` of 16 MiB or a host call copying 16 MiB is
 * one instruction, but takes ~10^6 times longer than an `i32.add`: charged one unit, a guest could buy
 * minutes of a worker for a few thousand units. So the bytes such an operation moves are charged too, at
 * FUEL_BYTES_PER_UNIT bytes per unit, before the work is done, from the length the guest asked for: the
 * instrumentation does it for `memory.fill`/`memory.copy`/`memory.init` (fuel.ts, written-range.ts), the
 * host (abi.ts) for every byte a host call copies out of or into guest memory, or encodes for `*_len`.
 *
 * The rate: memory.fill/copy and the host's UTF-8 decode move about 6–10 bytes per ns on this kind of
 * machine, so 8 bytes per unit keeps a unit near the ~1 ns an ordinary instruction takes.
 */

/** Bytes a guest may move per unit of fuel (a power of two: the instrumentation shifts by its log2). */
export const FUEL_BYTES_PER_UNIT = 8

/** Fuel units for moving `bytes` bytes (the remainder below one unit is free, as for the instrumentation). */
export function fuelForBytes(bytes: number): number {
  return Math.floor(bytes / FUEL_BYTES_PER_UNIT)
}
