// The exported functions of a WebAssembly module, read from its binary in the browser by the server's own
// reader (src/wasm-exec/module-exports.ts, built into dist/ before this bundle), so that the page lists
// exactly what CREATE FUNCTIONS t.* would take. Parsing the bytes keeps the page's CSP as it is:
// compiling with `new WebAssembly.Module` would need 'wasm-unsafe-eval' in script-src, for nothing but a
// list of names.
import { exportedFunctions, isReservedExportName } from '../../../dist/src/wasm-exec/module-exports.js'
import { isIdentifier } from '../../../dist/src/schema/catalog.js'

/**
 * Every exported function in export order: `callable` when CREATE FUNCTIONS can register it (`() -> ()`,
 * not a reserved name, a name a function may have), else `reason` says why not. Throws on a module the
 * server would refuse to read.
 */
export function moduleExports(bytes) {
  return exportedFunctions(bytes).map(({ name, callable }) => {
    const reserved = isReservedExportName(name)
    const named = isIdentifier(name)
    const reason = !callable ? 'takes parameters or returns a value' : reserved ? 'reserved name'
      : !named ? 'not a function name: register it one by one with EXPORT' : ''
    return { name, callable: callable && !reserved && named, reason }
  })
}
