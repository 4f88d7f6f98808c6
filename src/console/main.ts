// `acheron console` (CONTRACT.md §1): with -e/-f (or a piped stdin) runs the statements and exits 0, or 1 at
// the first failure; otherwise the interactive REPL. docs/console.md is the user's guide.
import { AcheronError } from '../errors.js'
import { parseConsoleArgs, UsageError, type ScriptArg } from './args.js'
import { History, historyPath } from './history.js'
import { Printer, type ConsoleIO } from './printer.js'
import { Repl } from './repl.js'
import { runScript } from './run-script.js'
import { InputError, readBounded, SCRIPT_BYTES_MAX, scriptSource } from './script-file.js'
import { connectionFailureText } from './connect-failure.js'
import { DEFAULT_URL, Session } from './session.js'
import type { Source } from './source.js'

export { InputError, SCRIPT_BYTES_MAX }

export const CONSOLE_USAGE = `usage: acheron console [URL] [--token T] [-e SQL]... [-f FILE]... [--json] [-A] [-t]
  URL          the server (default ${DEFAULT_URL})
  --token T    sent as Authorization: Bearer T
  -e SQL       run these statements and \\meta-commands (repeatable; also -c, as in psql)
  -f FILE      run the statements and \\meta-commands of FILE ('-' for stdin); FROM WASM FILE paths in it are relative to FILE's directory
  --json       print each statement's result object as one JSON line (errors: one JSON line on stderr)
  -A, -t       psql's: the unaligned format (\\a), rows without column names and footer (\\t); -Atc SQL as in psql
With -e or -f: runs everything in order, exits 0, or 1 at the first failed statement.
Without: the interactive console (\\help inside it).`

/** The console's lines in `acheron --help`. */
export const CONSOLE_COMMAND_USAGE = `  console [URL] [--token T] [-e SQL]... [-f FILE]... [--json]
      the SQL console (default ${DEFAULT_URL}): a REPL with \\help, or runs the -e/-f statements in order and exits 0, or 1 at the first failure`

/** What a URL given without ws:// may be: HOST, HOST:PORT, [IPv6] or [IPv6]:PORT, a path after it. */
const BARE_ADDRESS = /^(\[[^\]/]*\]|[^:/[\]]+)(:\d+)?(\/.*)?$/

/**
 * ws://h:p as given; a bare host:port gets ws:// in front, a bare host the default port too (`localhost` is
 * ws://localhost:7878, not ws://localhost's port 80), and a bare PORT or :PORT is that port of the default
 * host, as the default URL's (`7878` was ws://7878, a host that is no host).
 */
export function normalizeUrl(url: string): string {
  if (/^wss?:\/\//i.test(url)) return url
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new UsageError(`the URL must start with ws:// or wss://, not ${url}`)
  const defaults = new URL(DEFAULT_URL)
  const port = /^:?(\d+)$/.exec(url)
  if (port !== null) return `ws://${defaults.hostname}:${port[1] as string}`
  const bare = BARE_ADDRESS.exec(url)
  if (bare !== null && bare[2] === undefined) return `ws://${bare[1] as string}:${defaults.port}${bare[3] ?? ''}`
  return `ws://${url}`
}

/** The -e/-f arguments as sources, every file read before anything runs. */
export function loadSources(scripts: readonly ScriptArg[], cwd: string): Source[] {
  const inline = scripts.filter((s) => s.kind === 'sql').length
  let n = 0
  return scripts.map((s): Source => {
    if (s.kind === 'sql') {
      n++
      return { label: inline > 1 ? `-e #${n}` : '', text: s.text, baseDir: cwd }
    }
    if (s.path === '-') return { label: 'stdin', text: readBounded(0, 'stdin'), baseDir: cwd }
    return scriptSource(s.path, cwd)
  })
}

const processIO: ConsoleIO = {
  out: (text) => { process.stdout.write(text) },
  err: (text) => { process.stderr.write(text) },
}

export { connectionFailureText }

export async function runConsole(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let url: string
  let args: ReturnType<typeof parseConsoleArgs>
  let sources: Source[] | null
  try {
    args = parseConsoleArgs(argv)
    url = normalizeUrl(args.url ?? DEFAULT_URL)
    const scripted = args.scripts.length > 0 || process.stdin.isTTY !== true
    sources = scripted ? loadSources(args.scripts.length > 0 ? args.scripts : [{ kind: 'file', path: '-' }], process.cwd()) : null
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(`acheron console: ${err.message}\n`)
      return 1
    }
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`acheron console: ${err.message}\n${CONSOLE_USAGE}\n`)
    return 2
  }
  const printer = new Printer(processIO, args.json, env, { unaligned: args.unaligned, tuplesOnly: args.tuplesOnly })
  const session = new Session(url, args.token !== null ? { token: args.token } : {})
  try {
    let connectError: AcheronError | null = null
    try {
      await session.connect()
    } catch (err) {
      connectError = err instanceof AcheronError ? err : new AcheronError('INTERNAL', String(err))
    }
    const refused = connectError !== null && !args.json ? connectionFailureText(url, connectError) : null
    if (sources !== null) {
      if (connectError !== null) {
        if (refused !== null) printer.warn(refused)
        else printer.failure({ error: connectError, statement: null, at: null })
        return 1
      }
      return await runScript(sources, session, printer)
    }
    if (connectError !== null) {
      if (refused !== null) printer.warn(refused)
      else printer.failure({ error: connectError, statement: null, at: null })
      if (connectError.code === 'UNAUTHORIZED' || connectError.code === 'FORBIDDEN') return 1
      printer.warn('The console will try again at each statement.')
    } else {
      printer.note(`acheron console, connected to ${url}`)
    }
    printer.note('Type \\help for help, \\q or Ctrl-D to quit.')
    const history = new History(historyPath(env), (m) => printer.warn(m))
    return await new Repl({ session, printer, history, input: process.stdin, output: process.stdout, baseDir: process.cwd(), env }).run()
  } finally {
    // An \o |COMMAND still open gets the end of its input, and the console waits for it, as psql's does.
    const closed = await printer.closeOutput()
    if (closed !== null) printer.warn(`\\o: ${closed}`)
    await session.close()
  }
}
