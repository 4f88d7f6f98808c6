// The interactive console's REPL on pipes instead of a terminal, with a real session to a server: for
// tests of what it runs and keeps in its history, line by line, without tmux.
import { PassThrough } from 'node:stream'
import { History } from '../../src/console/history.js'
import { Printer } from '../../src/console/printer.js'
import { Repl } from '../../src/console/repl.js'
import { Session } from '../../src/console/session.js'

export interface PipedRepl {
  /** What the REPL printed to stdout and to stderr, chunk by chunk. */
  readonly out: string[]
  readonly err: string[]
  /** Both, in the order they were printed. */
  readonly both: string[]
  /** The lines typed: end it for Ctrl-D. */
  readonly input: PassThrough
  readonly history: History
  /** The REPL's exit code, once it ended (its session closed). */
  readonly ran: Promise<number>
}

/** A REPL connected to `url`, reading `input`; `baseDir`: where \i and \o take relative paths from; `env`: its $EDITOR and $PAGER. */
export function replOnPipes(url: string, baseDir: string, env?: NodeJS.ProcessEnv): PipedRepl {
  const out: string[] = []
  const err: string[] = []
  const both: string[] = []
  const printer = new Printer({ out: (t) => { out.push(t); both.push(t) }, err: (t) => { err.push(t); both.push(t) } }, false, {})
  const input = new PassThrough()
  const output = new PassThrough()
  output.resume()
  const history = new History(null)
  const session = new Session(url)
  const ran = new Repl({ session, printer, history, input, output, baseDir, ...(env !== undefined ? { env } : {}) }).run().finally(() => session.close())
  return { out, err, both, input, history, ran }
}
