/**
 * A command line the program cannot run (an unknown option, a bad value, a missing argument): the command
 * exits 2, as for an unknown command, and says which `--help` to read. Runtime failures exit 1.
 */
export class UsageError extends Error {}

/** A usage error: ours, or node:util parseArgs' (an unknown option, a value where none is taken, ...). */
export function isUsageError(e: unknown): e is Error {
  return e instanceof UsageError || (e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true)
}

/**
 * A usage error's message for the user. parseArgs adds to an unknown option, where the command takes
 * positionals, a tip on passing one that starts with '-' after `--` (with its quotes unbalanced); no NAME,
 * workload or path of ours starts with '-', and the tip buried the one word that mattered: the option.
 */
export function usageMessage(e: Error): string {
  if ((e as NodeJS.ErrnoException).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return e.message
  return e.message.replace(/\. To specify a positional argument starting with a '-'[\s\S]*$/, '')
}
