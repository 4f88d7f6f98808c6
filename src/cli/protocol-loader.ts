// Resolves `--protocol` for `acheron check` and `acheron serve`: a built-in name or a research module.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PROTOCOLS, type Protocol } from '../txn/protocols/index.js'
import { syntaxErrorWhere } from './syntax-where.js'
import { UsageError } from './usage-error.js'

/**
 * `--protocol NAME` picks a built-in protocol; `--protocol ./file.js` loads a research protocol: a module
 * whose default export, export named `protocol`, or only exported Protocol implements the interface.
 */
export async function loadProtocol(spec: string): Promise<Protocol> {
  const builtIn = PROTOCOLS[spec]
  if (builtIn !== undefined) return builtIn
  if (!/\.(c|m)?js$/.test(spec)) throw new UsageError(`--protocol: '${spec}' is neither a built-in protocol (${Object.keys(PROTOCOLS).join(', ')}) nor a .js module`)
  // A path that is not there is the command line's fault (exit 2), not a failure of what it ran.
  if (!existsSync(resolve(spec))) throw new UsageError(`--protocol: cannot load ${spec}: no such file (${resolve(spec)})`)
  // A module that does not load (a syntax error, a throw at its top level, an import not installed) is a
  // command line that cannot run too: it said only the bare message, without naming the module, and exit 1.
  let mod: Record<string, unknown>
  // A top-level await that never settles, with nothing left to wait on, let the process end there, exit
  // 0 and no word (a CI run read that as a pass): when the event loop empties during the import, it fails.
  let stalled = (): void => {}
  const stall = new Promise<never>((_, reject) => {
    stalled = () => reject(new Error('its top-level await never settled (the module was still loading when nothing was left to wait on)'))
  })
  process.once('beforeExit', stalled)
  try {
    mod = (await Promise.race([import(pathToFileURL(resolve(spec)).href), stall])) as Record<string, unknown>
  } catch (err) {
    // `acheron/testing` resolves from the module's own directory, not from the acheron that runs it.
    const hint = /Cannot find package 'acheron'/.test(String(err)) ? ` (it imports acheron from its own directory: \`npm install acheron\` in its project)` : ''
    const where = syntaxErrorWhere(err, resolve(spec))
    throw new UsageError(`--protocol: cannot load ${spec}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}${hint}${where === null ? '' : `\n${where}`}`)
  } finally {
    process.off('beforeExit', stalled)
  }
  const isProtocol = (x: unknown): x is Protocol => typeof x === 'object' && x !== null && typeof (x as Protocol).name === 'string' && typeof (x as Protocol).runBatch === 'function'
  // The default export, else one named `protocol`, else the module's only Protocol (as in src/txn/protocols/*.js).
  const found = [mod.default, mod.protocol].find(isProtocol)
  if (found !== undefined) return found
  const named = Object.entries(mod).filter(([, x]) => isProtocol(x)).map(([name]) => name)
  if (named.length === 1) return mod[named[0] as string] as Protocol
  if (named.length > 1) throw new UsageError(`--protocol: ${spec} exports ${named.length} Protocols (${named.join(', ')}) and none as its default export or as \`protocol\`: say which`)
  const exported = Object.keys(mod)
  throw new UsageError(`--protocol: ${spec} exports no Protocol (an object with a string \`name\` and a function \`runBatch\`); it exports ${exported.length === 0 ? 'nothing' : exported.join(', ')}`)
}
