import { aria } from './aria.js'
import { calvin } from './calvin.js'
import type { Protocol } from './protocol.js'
import { serial } from './serial.js'

export type { BatchExecutor, BatchRun, Protocol } from './protocol.js'

/**
 * The built-in protocols by name; `aria` is the default. No prototype: a plain object answered
 * `PROTOCOLS['constructor']` (or `toString`, `__proto__`) with Object's own function, so
 * `--protocol constructor` was taken for a built-in and every batch failed, read as a caught bug.
 */
export const PROTOCOLS: Readonly<Record<string, Protocol>> = Object.freeze(Object.assign(Object.create(null) as Record<string, Protocol>, { aria, calvin, serial }))

export function protocolByName(name: string): Protocol {
  const p = PROTOCOLS[name]
  if (p === undefined) throw new Error(`unknown protocol '${name}' (known: ${Object.keys(PROTOCOLS).join(', ')})`)
  return p
}
