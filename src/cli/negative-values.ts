// node:util parseArgs (strict) reads a value that starts with a dash as an option: `--seed -3` failed
// with its own "Option '--seed' argument is ambiguous ... use '--seed=-XYZ'", not with the command's
// refusal of a negative seed. No option of ours is spelt like a negative number, so one that follows an
// option taking a value is that option's value, and the command's own range check refuses it.

/** A negative number as typed (-3, -0.5, -.5, -1e3): never an option name. */
const NEGATIVE_NUMBER = /^-\.?\d/

/** `args` with `--NAME -N` written `--NAME=-N` for each option of `options` that takes a value. */
export function joinNegativeValues(args: readonly string[], options: Readonly<Record<string, { type: 'string' | 'boolean' }>>): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    // After `--` everything is a positional, as parseArgs reads it.
    if (arg === '--') return [...out, ...args.slice(i)]
    const next = args[i + 1]
    const name = arg.startsWith('--') ? arg.slice(2) : null
    if (name !== null && Object.hasOwn(options, name) && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${arg}=${next}`)
      i++
    } else {
      out.push(arg)
    }
  }
  return out
}
