// createFunction()'s options, checked before anything is sent: a misspelt option (`replace` for
// `orReplace`) was ignored, so the call did something other than asked, silently.
import { AcheronError } from './errors.js'
import { checkOptionNames } from './option-names.js'

const TYPES: Readonly<Record<string, 'string' | 'number' | 'boolean'>> = {
  export: 'string', fuel: 'number', memory: 'number', orReplace: 'boolean', runtime: 'string',
}

/** TYPE_MISMATCH for options that are no object, an option `createFunction` lacks, or one of the wrong type. */
export function checkFunctionOptions(options: unknown, names: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new AcheronError('TYPE_MISMATCH', `createFunction() options is an object (${names.join(', ')}), got ${Array.isArray(options) ? 'an array' : String(options)}`)
  }
  checkOptionNames('createFunction()', options, names)
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && typeof value !== TYPES[name]) {
      throw new AcheronError('TYPE_MISMATCH', `createFunction() option ${name} is a ${TYPES[name]}, got ${typeof value}`)
    }
  }
}
