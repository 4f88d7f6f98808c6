// `acheron fn build` checks each module it built as registration would, so that an import the ABI does
// not allow (AssemblyScript's `trace` imports env.trace, `Date.now` env.Date.now, …) or a memory above
// the default MEMORY limit is reported by the build, with the module's name, not later by CREATE FUNCTIONS.
import { AcheronError } from '../errors.js'
import { MEMORY_BYTES_DEFAULT } from '../schema/catalog.js'
import { loadBinaryen } from '../wasm-exec/binaryen.js'
import { exportedFunctions, isReservedExportName, registrableExports } from '../wasm-exec/module-exports.js'
import { checkFunction, inspectModule } from '../wasm-exec/validate.js'

/** The functions `CREATE FUNCTIONS t.*` would register from `bytes`; throws the AcheronError it would. */
export async function checkBuiltModule(bytes: Uint8Array, memoryBytes = MEMORY_BYTES_DEFAULT): Promise<string[]> {
  const names = registrableExports(bytes)
  const { module, facts } = inspectModule(await loadBinaryen(), bytes)
  module.dispose()
  for (const exportName of names) checkFunction(facts, { exportName, memoryBytes })
  return names
}

export function describeRefusal(err: unknown): string {
  return err instanceof AcheronError ? `${err.code}: ${err.message}` : String(err)
}

/**
 * What the build says of exported functions that are no function Acheron can call (they take parameters or
 * return a value), or null when there are none. `export function add(amount: i64): void` is a newcomer's
 * first function; the build listed "no functions" (or the others) and said nothing of it.
 */
export function uncallableExportsNote(bytes: Uint8Array): string | null {
  const names = exportedFunctions(bytes).filter((e) => !e.callable && !isReservedExportName(e.name)).map((e) => e.name)
  if (names.length === 0) return null
  return `not registrable: ${names.join(', ')} (${names.length === 1 ? 'it takes parameters or returns' : 'they take parameters or return'} a value; a function is () -> (): it reads its arguments with the guest library, argInt(0), argText(1), …, and returns with retInt(…), retText(…), …)`
}
