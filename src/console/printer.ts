// What the console writes: results in the format \pset chose (tables by default; with --json one wire
// result object R per line on stdout), to the \o file or stdout, through the pager when they are taller
// than the terminal; failures as `ERROR CODE: message` with the source line and a caret (or, with --json,
// one error object per line on stderr), and the \timing line.
import { closeSync, openSync, writeSync } from 'node:fs'
import type { RemoteStatementResult } from '../client/remote.js'
import { caretLines, sourceLine } from './caret.js'
import { defaultDisplay, type DisplaySettings } from './display.js'
import { escapeMessage, statementTag } from './format-table.js'
import { needsPager, pagerCommand, runPager, startPiped, type PipedCommand } from './pager.js'
import { renderListing, renderResult, type Listing } from './render.js'
import type { SendOptions } from './meta-commands.js'
import type { LocatedError } from './session.js'
import type { SourceStatement } from './source.js'
import { lineColumnOf } from './text-position.js'
import { noColor } from '../no-color.js'
import { logDisplayLines } from './with-logs.js'
import { fileProblem } from '../file-problem.js'

export { wireResult } from './format-json.js'

export interface ConsoleIO {
  out(text: string): void
  err(text: string): void
}

/** The terminal the REPL runs in; scripts have none (no pager, no width for \x auto). */
export interface TerminalInfo {
  /** Its size when stdout is a terminal, else null. */
  size(): { readonly columns: number; readonly rows: number } | null
  /** Lends the terminal to another program (a pager, an editor) while `run` runs. */
  handOver<T>(run: () => Promise<T>): Promise<T>
}

/**
 * The wire form of an error, with `line`/`column` in the statement's source (the -f file, the -e argument,
 * the REPL input) and `statement` its 0-based index among all the statements of the run; `source` names a
 * -f file or one of several -e arguments.
 */
export function wireError(f: LocatedError): Record<string, unknown> {
  const e = f.error
  const out: Record<string, unknown> = { code: e.code, message: e.message }
  if (f.at !== null) { out.line = f.at.line; out.column = f.at.column }
  if (f.statement !== null) out.statement = f.statement.index
  if (e.commit !== undefined) out.commit = e.commit
  if (f.statement !== null && f.statement.source.label !== '') out.source = f.statement.source.label
  if (e.logs !== undefined) out.logs = e.logs
  if (e.explainable === false) out.explainable = false
  return out
}

/** Statements whose failed position EXPLAIN COMMIT re-runs: data transactions (inside BEGIN … COMMIT too). */
const EXPLAINABLE_VERBS: ReadonlySet<string> = new Set(['CALL', 'INSERT', 'UPDATE', 'DELETE'])

/** The human form of a failure, as lines. */
export function failureLines(f: LocatedError): string[] {
  const e = f.error
  const lines = [`ERROR ${e.code}: ${escapeMessage(e.message)}`]
  const s = f.statement
  if (s !== null && f.at !== null) {
    lines.push(...caretLines(s.source.text, f.at, s.source.label))
  } else if (s !== null && s.source.label !== '') {
    lines.push(sourceLine(s.source.text, lineColumnOf(s.source.text, s.offset).line, s.source.label))
  }
  const unset = f.unsetVariable ?? null
  if (unset !== null) lines.push(`${unset} is no variable set here: \\set ${unset.replace(/^:['"]?|['"]$/g, '')} VALUE sets one, which the console then puts in (docs/console.md, "Variables")`)
  if (e.commit !== undefined) {
    // Only a data transaction ran and rolled back, and only its position can be re-run; a query's, a
    // DDL's or an EXPLAIN's failure has a position too, and nothing to re-run. Nor has a statement the
    // server ran alone (over a whole table): it says so (`explainable: false`).
    const at = `{batch: ${e.commit.batch}, seq: ${e.commit.seq}}`
    lines.push(e.explainable !== false && (s === null || EXPLAINABLE_VERBS.has(s.verb))
      ? `rolled back: the transaction ran at commit ${at}; EXPLAIN COMMIT (${e.commit.batch}, ${e.commit.seq}); shows why`
      : `failed at position ${at}`)
  }
  if (e.outcomeUnknown === true) lines.push('the statement may or may not have committed: look before running it again')
  // concat, not push(...): the log lines come from the server, and a spread of many overflows the stack.
  return e.logs === undefined ? lines : lines.concat(logDisplayLines(e.logs, false))
}

/** writeSync may write part of a buffer (a pipe, a signal): the rest follows. */
function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.byteLength;) at += writeSync(fd, bytes, at)
}

/** Where \o sends results: a file (its descriptor), or a command's stdin (`\o |COMMAND`). */
type OutputTarget =
  | { readonly path: string; readonly fd: number }
  | { readonly command: string; readonly piped: PipedCommand }

function targetName(t: OutputTarget): string {
  return 'path' in t ? t.path : `|${t.command}`
}

export class Printer {
  readonly display: DisplaySettings
  /** Set by the REPL: the pager and \x auto need it. */
  terminal: TerminalInfo | null = null
  private output: OutputTarget | null = null
  /** While \g |COMMAND runs its statement: the results, for COMMAND's stdin. */
  private capture: string[] | null = null
  /** While \gset runs its statement: the last result so far, not shown. */
  private held: { last: { readonly result: RemoteStatementResult; readonly statement: SourceStatement | undefined } | null } | null = null

  /** `json`: --json, which also writes failures as JSON objects. */
  constructor(private readonly io: ConsoleIO, readonly json: boolean, private readonly env: NodeJS.ProcessEnv = process.env, display: { readonly unaligned?: boolean; readonly tuplesOnly?: boolean } = {}) {
    this.display = defaultDisplay(json, display)
  }

  /** The results of a unit, one per statement (`statements[i]` produced `results[i]`). */
  async results(results: readonly RemoteStatementResult[], statements: readonly SourceStatement[] = []): Promise<void> {
    const held = this.held
    if (held !== null && results.length > 0) {
      // \gset: the last result so far is held back; the one held before it, and the others, are shown now.
      const shown = results.map((result, i) => ({ result, statement: statements[i] }))
      if (held.last !== null) shown.unshift(held.last)
      held.last = shown.pop() ?? null
      this.held = null
      try {
        for (const { result, statement } of shown) await this.results([result], statement === undefined ? [] : [statement])
      } finally {
        this.held = held
      }
      return
    }
    const columns = this.terminal?.size()?.columns ?? null
    let text = ''
    for (const [i, r] of results.entries()) {
      // psql's NOTICE of an IF [NOT] EXISTS that skipped, on stderr beside the data (JSON carries it in R).
      if (r.notice !== undefined && this.display.format !== 'json') this.warn(`NOTICE: ${r.notice}`)
      let lines = renderResult(r, statementTag(statements[i]?.text ?? ''), this.display, columns, this.dims())
      // A CALL … WITH LOGS: its lines right under its result (JSON carries them in the object; CSV stays
      // pure data, so they go to stderr there).
      if (r.logs !== undefined && r.logs.length > 0 && this.display.format !== 'json') {
        if (this.display.format === 'csv') this.warn(logDisplayLines(r.logs, false).join('\n'))
        else lines = lines.concat(logDisplayLines(r.logs, this.dims()))
      }
      // psql's -At of no rows writes nothing, not an empty line.
      if (lines.length === 0 && this.display.tuplesOnly) continue
      text += lines.join('\n') + this.gapAfter(r.columns.length > 0)
    }
    await this.emit(text)
  }

  /**
   * Log lines and the NULL marker are dimmed only on a terminal (not into a \o file or a pipe), and never
   * with NO_COLOR.
   */
  private dims(): boolean {
    return this.terminal !== null && this.terminal.size() !== null && this.output === null && !noColor(this.env)
  }

  /** A listing of \d and its kin, in the current format. */
  async listing(l: Listing): Promise<void> {
    const lines = renderListing(l, this.display, this.terminal?.size()?.columns ?? null, this.dims())
    await this.emit(lines.join('\n') + this.gapAfter(true))
  }

  /** A blank line after a table, as psql leaves; none between records of CSV or JSON, nor after psql's -At rows. */
  private gapAfter(hasColumns: boolean): string {
    const data = this.display.format === 'csv' || this.display.format === 'json' || (this.display.format === 'unaligned' && this.display.tuplesOnly)
    return hasColumns && !data ? '\n\n' : '\n'
  }

  /**
   * Where results go: the \o file (truncated), or a command's stdin (`\o |COMMAND`, run by sh now, its output
   * where the console's goes), or with null stdout again; a message when it cannot be, else null. The
   * target before is closed first; a command's stdin is closed and the command waited for (psql's pclose).
   */
  async redirect(to: { readonly file: string } | { readonly command: string } | null): Promise<string | null> {
    let next: OutputTarget | null = null
    if (to !== null && 'file' in to) {
      try {
        next = { path: to.file, fd: openSync(to.file, 'w') }
      } catch (err) {
        return `cannot write ${to.file}: ${fileProblem(err)}`
      }
    }
    const problem = await this.closeOutput()
    if (to !== null && 'command' in to) next = { command: to.command, piped: startPiped(to.command) }
    this.output = next
    return problem
  }

  /** Closes the \o target (at \o and when the console ends): a message when its command could not run. */
  async closeOutput(): Promise<string | null> {
    const out = this.output
    this.output = null
    if (out === null) return null
    if ('fd' in out) {
      closeSync(out.fd)
      return null
    }
    const ended = await out.piped.end()
    return ended.ok ? null : `|${out.command}: ${ended.reason}`
  }

  /**
   * \g FILE, \g |COMMAND and \gx: what `run` prints goes to FILE (truncated first) or, once `run` is done,
   * to COMMAND's stdin (run by sh, with the terminal), instead of the screen or the \o file, and in records
   * as \x on shows them; both as before afterwards. A message when FILE cannot be written or COMMAND run.
   */
  async divert(options: SendOptions, run: () => Promise<boolean>): Promise<boolean | string> {
    if (options.store !== null) return this.storing(options.store, run)
    const saved = { output: this.output, expanded: this.display.expanded, capture: this.capture }
    let fd: number | null = null
    if (options.file !== null) {
      try {
        fd = openSync(options.file, 'w')
      } catch (err) {
        return `cannot write ${options.file}: ${fileProblem(err)}`
      }
      this.output = { path: options.file, fd }
    }
    // While \g's statement runs the \o target is set aside, not closed: it takes the results after it.
    const captured: string[] = []
    if (options.pipe !== null) this.capture = captured
    if (options.expanded) this.display.expanded = 'on'
    let done: boolean
    try {
      done = await run()
    } finally {
      // A write that failed has closed FILE already (emit: results come to the screen again).
      if (fd !== null && this.output !== null && 'fd' in this.output && this.output.fd === fd) closeSync(fd)
      this.output = saved.output
      this.capture = saved.capture
      if (options.expanded) this.display.expanded = saved.expanded
    }
    if (options.pipe === null) return done
    const command = options.pipe
    const pipe = (): ReturnType<typeof runPager> => runPager(command, captured.join(''))
    const piped = await (this.terminal === null ? pipe() : this.terminal.handOver(pipe))
    return piped.ok ? done : `|${command}: ${piped.reason}`
  }

  /**
   * \gset: the last result of what `run` sends goes to `store` instead of being shown, when it has
   * columns (a query's, RETURNING's); one without (an INSERT's) is shown as usual, and so is every one when
   * a later statement failed. False when `run` failed or `store` did.
   */
  private async storing(store: (result: RemoteStatementResult) => boolean, run: () => Promise<boolean>): Promise<boolean> {
    const saved = this.held
    const held: NonNullable<Printer['held']> = { last: null }
    this.held = held
    let done: boolean
    try {
      done = await run()
    } finally {
      this.held = saved
    }
    const last = held.last
    if (last === null) return done
    if (done && last.result.columns.length > 0) return store(last.result)
    await this.results([last.result], last.statement === undefined ? [] : [last.statement])
    return done
  }

  /**
   * \gset: shows the result held back so far now, before what is printed next (a later statement's
   * failure), so that results and errors come in statement order, as psql prints them. It will not be
   * stored: a \gset whose statements did not all succeed sets nothing.
   */
  async releaseHeld(): Promise<void> {
    const held = this.held
    const last = held?.last ?? null
    if (held === null || last === null) return
    held.last = null
    this.held = null
    try {
      await this.results([last.result], last.statement === undefined ? [] : [last.statement])
    } finally {
      this.held = held
    }
  }

  /** Results text: to the \o file, or to the pager when it is taller than the terminal, or to stdout. */
  private async emit(text: string): Promise<void> {
    if (this.capture !== null) {
      this.capture.push(text)
      return
    }
    const out = this.output
    if (out !== null) {
      try {
        if ('fd' in out) {
          writeAll(out.fd, Buffer.from(text, 'utf8'))
          return
        }
        if (await out.piped.write(text)) return
        throw new Error('the command exited')
      } catch (err) {
        // A full disk or a closed pipe: the result is shown here rather than lost, and later ones too.
        this.warn(`\\o: cannot write ${targetName(out)} (${fileProblem(err)}); results go to the screen again`)
        const closed = await this.closeOutput()
        if (closed !== null) this.warn(`\\o: ${closed}`)
      }
    }
    const terminal = this.terminal
    const size = terminal?.size() ?? null
    const command = terminal !== null && size !== null && this.display.pager ? pagerCommand(this.env) : null
    if (terminal !== null && size !== null && command !== null && needsPager(text, size)) {
      const paged = await terminal.handOver(() => runPager(command, text))
      if (paged.ok) return
      this.warn(`the pager did not run (${paged.reason}); \\pset pager off turns it off`)
    }
    this.io.out(text)
  }

  /**
   * psql's \qecho: a line where results go (the \o file or command, else stdout); with --json and no \o, on
   * stderr as \echo's, so that stdout stays JSON lines.
   */
  async queryEcho(text: string): Promise<void> {
    if (this.json && this.output === null && this.capture === null) this.note(text)
    else await this.emit(`${text}\n`)
  }

  /** Data as it is (\copy … to stdout): to the \o file, or the pager, or stdout, as results go. */
  async data(text: string): Promise<void> {
    await this.emit(text)
  }

  failure(f: LocatedError): void {
    this.io.err(this.json ? JSON.stringify(wireError(f)) + '\n' : failureLines(f).join('\n') + '\n')
  }

  timing(elapsedMs: number): void {
    this.note(`Time: ${elapsedMs.toFixed(3)} ms`)
  }

  /**
   * A line for the person at the REPL (not part of any result). With --json it goes to stderr: stdout
   * holds only JSON lines, whatever meta-commands a script holds.
   */
  note(text: string): void {
    if (this.json) this.io.err(text + '\n')
    else this.io.out(text + '\n')
  }

  warn(text: string): void {
    this.io.err(text + '\n')
  }
}
