// An options object's names, checked before anything runs: from JavaScript a misspelt option
// (`replace` for `orReplace`, `directory` for `dir`, `requestTimeout` for `requestTimeoutMs`) was
// ignored, so the call did something other than asked, silently.
import { AcheronError } from './errors.js'

/** TYPE_MISMATCH naming the first option of `options` that is not one of `names` (`what`: "connect()"). */
export function checkOptionNames(what: string, options: object, names: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (!names.includes(name)) throw new AcheronError('TYPE_MISMATCH', `${what} has no option '${name}' (its options: ${names.join(', ')})`)
  }
}
