/**
 * A command line the program cannot run (an unknown option, a bad value, a missing argument): the command
 * exits 2, as for an unknown command, and says which `--help` to read. Runtime failures exit 1.
 */
export class UsageError extends Error {}

/** A usage error: ours, or node:util parseArgs' (an unknown option, a value where none is taken, ...). */
export function isUsageError(e: unknown): e is Error {
  return e instanceof UsageError || (e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true)
}
