// `acheron console [URL] [--token T] [-e SQL]... [-f FILE]... [--json]` (CONTRACT.md §1). Parsed by hand:
// node:util parseArgs refuses an option value that starts with '-', and `-e "-- setup"` must work.
import { UsageError } from '../cli/usage-error.js'

export type ScriptArg = { readonly kind: 'sql'; readonly text: string } | { readonly kind: 'file'; readonly path: string }

export interface ConsoleArgs {
  readonly url: string | null
  readonly token: string | null
  /** -e and -f in command-line order. */
  readonly scripts: readonly ScriptArg[]
  readonly json: boolean
  /** psql's -A (--no-align): the unaligned format from the start. */
  readonly unaligned: boolean
  /** psql's -t (--tuples-only): \t on from the start. */
  readonly tuplesOnly: boolean
}

/** A console command line that cannot run: exit 2 (the CLI's one UsageError). */
export { UsageError }

export function parseConsoleArgs(argv: readonly string[]): ConsoleArgs {
  let url: string | null = null
  let token: string | null = null
  let json = false
  let unaligned = false
  let tuplesOnly = false
  const scripts: ScriptArg[] = []
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i] as string
    // psql's clustered short options, as scripts write them: -At, -tA, -Atc SQL (a letter taking a value comes last).
    const cluster = /^-([At]+)([cef]?)$/.exec(a)
    if (cluster !== null && (cluster[1] as string).length + (cluster[2] as string).length > 1) {
      for (const letter of cluster[1] as string) {
        if (letter === 'A') unaligned = true
        else tuplesOnly = true
      }
      if (cluster[2] === '') continue
      a = `-${cluster[2] as string}`
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1
    const name = eq > 0 ? a.slice(0, eq) : a
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1)
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`${name} needs a value`)
      return v
    }
    // A flag takes no value: `--json=false` or `--tuples-only=off` would otherwise turn it on.
    const flag = (): void => {
      if (eq > 0) throw new UsageError(`${name} takes no value (given ${a})`)
    }
    switch (name) {
      // -c and --command are psql's names for it (psql's own -e echoes queries, which is not wanted here).
      case '-e': case '--execute': case '-c': case '--command': scripts.push({ kind: 'sql', text: value() }); break
      case '-f': case '--file': scripts.push({ kind: 'file', path: value() }); break
      case '--token': token = value(); break
      case '--json': flag(); json = true; break
      case '-A': case '--no-align': flag(); unaligned = true; break
      case '-t': case '--tuples-only': flag(); tuplesOnly = true; break
      default:
        if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`)
        if (url !== null) throw new UsageError(`one URL only, got ${url} and ${a}`)
        url = a
    }
  }
  if (token === '') throw new UsageError('the token is empty')
  return { url, token, scripts, json, unaligned, tuplesOnly }
}
