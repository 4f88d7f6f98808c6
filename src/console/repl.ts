// The interactive console on node:readline: statements over several lines until `;` (a continuation prompt
// meanwhile), BEGIN … COMMIT held and sent as one unit at its COMMIT, meta-commands (meta-commands.ts; the
// REPL is their MetaHost, with \e and \watch), history across runs, Ctrl-C to drop the statement being
// typed or stop a \watch, Ctrl-D or \q to leave.
import { createInterface, type Completer, type Interface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { AcheronError } from '../errors.js'
import { CatalogNamesCache, complete } from './completion.js'
import { listDir } from './file-completion.js'
import { ConditionalStack, isConditionalLine } from './conditional.js'
import { editorCommand, editText } from './editor.js'
import type { History } from './history.js'
import { HISTORY_ENTRIES_MAX } from './history.js'
import { notInBlock, refusedInBlock, runMeta, type MetaHost, type SendOptions } from './meta-commands.js'
import type { Printer } from './printer.js'
import { ScriptRunner } from './run-script.js'
import { scanStatements } from './scan.js'
import type { Session, UnitOutcome } from './session.js'
import { statementsOf } from './source.js'
import { terminalOf } from './terminal.js'
import { heldBlock, rollbackNote, UnitGrouper, type Unit } from './units.js'

/** psql's words that act alone on a line, before any statement is typed, and the meta-command each is. */
const PSQL_WORDS: ReadonlyMap<string, string> = new Map([['exit', '\\q'], ['quit', '\\q'], ['help', '\\help']])
/** What send() answers when Ctrl-C stopped the wait. */
const STOPPED_WAITING = Symbol('stopped waiting')
/** Between BEGIN and COMMIT, like psql's `*` (its %x): `acheron*> `. */
const BLOCK_MARK = '*'
/** In a branch of an \if block that is skipped, like psql's `@` (its %R): what is typed there does not run. */
const SKIPPED_BRANCH_MARK = '@'

/** The prompt: `acheron> `, with psql's marks before the `>`: `@` in a skipped \if branch, `*` in a BEGIN block. */
export function promptOf(state: { readonly skipping: boolean; readonly inBlock: boolean }): string {
  return `acheron${state.skipping ? SKIPPED_BRANCH_MARK : ''}${state.inBlock ? BLOCK_MARK : ''}> `
}

export const PROMPT = promptOf({ skipping: false, inBlock: false })

/** The continuation prompt under `prompt`: its `> ` becomes `-> `, aligned. */
export function continuationPrompt(prompt: string): string {
  return `${' '.repeat(prompt.length - 3)}-> `
}

export { HELP } from './help.js'

export interface ReplOptions {
  readonly session: Session
  readonly printer: Printer
  readonly history: History
  readonly input: NodeJS.ReadableStream
  readonly output: NodeJS.WritableStream
  /** Where FROM WASM FILE paths and \i and \o files are resolved from. */
  readonly baseDir: string
  /** $PAGER, $VISUAL, $EDITOR. */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * Meta-commands that send the statement typed before them on their line (`SELECT … \\gx`): the two are one
 * history entry, as typed, in a branch taken or skipped alike.
 */
const SENDS_WITH_STATEMENT = /^\\(gx?|gset|watch)(\s|$)/

export class Repl implements MetaHost {
  private buffer = ''
  private readonly grouper = new UnitGrouper()
  private nextIndex = 0
  timing = false
  readonly where = ''
  /** The text that ran last, for \e and \watch without a statement being typed. */
  private lastText: string | null = null
  /** Aborted by Ctrl-C while a \watch runs. */
  private watchStop: AbortController | null = null
  private running = false
  /** While a statement runs: stops waiting for it (Ctrl-C). */
  private stopWaiting: (() => void) | null = null
  private quitting = false
  /** The input has ended (Ctrl-D): the lines read before it still run, then the REPL ends; nothing prompts. */
  private closed = false
  private linesQueued = 0
  private queue: Promise<void> = Promise.resolve()
  private rl: Interface | null = null
  private readonly names: CatalogNamesCache
  /** While a \g typed after its statement on one line runs: that \g, kept with the statement in the history. */
  private sendingLine: string | null = null
  /** The session's \if blocks (conditional.ts). */
  readonly conditionals = new ConditionalStack()
  /**
   * The lines of a skipped \if branch since the last one that ended outside a string or comment: read only
   * to know whether a backslash on the next is a meta-command (psql's lexer reads a skipped branch too).
   */
  private skippedText = ''

  constructor(private readonly options: ReplOptions) {
    this.names = new CatalogNamesCache((sql) => options.session.rows(sql))
  }

  get printer(): Printer {
    return this.options.printer
  }

  get session(): Session {
    return this.options.session
  }

  /** Tab: keywords, meta-commands, the catalog's names and the variables (docs/console.md). */
  private readonly completer = (line: string, callback: (err: null, result: [string[], string]) => void): void => {
    void this.names.get().then((names) => callback(null, complete(line, names, this.session.variables.names(), { before: this.buffer, files: { baseDir: this.options.baseDir, list: listDir } })))
  }

  /** Runs until \q, Ctrl-D or the end of the input; resolves with the exit code. */
  run(): Promise<number> {
    const { input, output, history } = this.options
    const rl = createInterface({
      input, output, terminal: true, prompt: PROMPT, history: history.newestFirst(), historySize: HISTORY_ENTRIES_MAX,
      completer: this.completer as unknown as Completer,
    })
    this.rl = rl
    keepLineAtOldestEntry(rl)
    this.options.printer.terminal = terminalOf(rl, input, output)
    return new Promise<number>((resolve) => {
      rl.on('line', (line: string) => {
        this.syncHistory()
        this.linesQueued++
        this.queue = this.queue.then(() => this.handle(line)).catch((err: unknown) => this.unexpected(err)).then(() => {
          this.linesQueued--
          this.syncHistory()
          if (this.linesQueued === 0 && !this.quitting && !this.closed) this.prompt()
        })
      })
      rl.on('SIGINT', () => {
        if (this.interrupt()) resolve(130)
      })
      rl.on('close', () => {
        this.closed = true
        this.watchStop?.abort()   // nobody is left to press Ctrl-C
        // The lines read before Ctrl-D (typed ahead, or pasted, while a statement ran) run first, as psql
        // runs its input to the end: they were dropped, unseen, when Ctrl-D came while one was running.
        this.queue = this.queue.then(() => {
          if (!this.quitting) output.write('\n')   // Ctrl-D: leave the shell's prompt on a line of its own
          if (this.conditionals.depth > 0) this.printer.warn(`left inside ${this.conditionals.depth} \\if block${this.conditionals.depth === 1 ? '' : 's'} without its \\endif`)
          // Its statements were held for COMMIT: leaving without one must not look like they ran.
          const held = this.grouper.discard()
          if (held > 0) this.printer.warn(`left without COMMIT: ${heldBlock(held)} was not sent; nothing of it ran`)
          this.quitting = true
          resolve(0)
        })
      })
      this.prompt()
    })
  }

  private prompt(): void {
    const rl = this.rl
    if (rl === null) return
    const base = promptOf({ skipping: !this.conditionals.active, inBlock: this.grouper.inBlock })
    const open = this.buffer !== ''
    rl.setPrompt(open ? continuationPrompt(base) : base)
    rl.prompt()
  }

  /** readline adds every line it reads to its history; the console's history is statements, kept in History. */
  private syncHistory(): void {
    if (this.rl !== null) (this.rl as unknown as { history: string[] }).history = this.options.history.newestFirst()
  }

  /** Ctrl-C. Returns true to leave the console. */
  private interrupt(): boolean {
    const rl = this.rl
    if (rl === null) return false
    if (this.watchStop !== null) {
      this.watchStop.abort()
      this.options.output.write('^C\n')
      return false
    }
    if (this.running) {
      if (this.stopWaiting === null) {
        this.options.printer.warn('\n\\i runs its file to the end; Ctrl-C stops the wait for a single statement only')
        return false
      }
      this.options.output.write('^C\n')
      this.stopWaiting()
      return false
    }
    rl.write(null, { ctrl: true, name: 'e' })
    this.options.output.write('^C\n')
    // As \r says it: the statements held for COMMIT go too, and their note was the last word about them.
    // Said on the line after ^C, before readline redraws the prompt under it.
    const held = this.grouper.discard()
    if (held > 0) this.printer.warn(`${heldBlock(held)} was not sent; nothing of it ran`)
    rl.write(null, { ctrl: true, name: 'u' })
    this.buffer = ''
    this.prompt()
    return false
  }

  private async handle(line: string): Promise<void> {
    if (this.quitting) return
    if (!this.conditionals.active) {
      await this.handleSkipped(line)
      return
    }
    const meta = metaCommandStart(this.buffer, line)
    if (meta === 0) {
      // \q stays out of the history: Up then Enter should not leave the console.
      if (!/^\\q(uit)?$/.test(line.trim())) this.options.history.add(line.trim())
      await runMeta(line.trim(), this)
      return
    }
    if (meta > 0) {
      // psql's: a backslash outside strings and comments starts a meta-command anywhere on the line
      // (`SELECT * FROM t \gx`); what comes before it is typed as on a line of its own.
      await this.handleSql(line.slice(0, meta))
      if (this.quitting) return
      const command = line.slice(meta).trim()
      // `SELECT … \gx` (or `\watch N`) is one entry, as typed, so that Up brings back the \gx too
      // (sendBuffer and watch add it); with no statement left being typed, the command is an entry alone.
      if (SENDS_WITH_STATEMENT.test(command) && this.buffer.trim() !== '') this.sendingLine = command
      else this.options.history.add(command)
      try {
        await runMeta(command, this)
      } finally {
        this.sendingLine = null
      }
      return
    }
    const word = this.buffer === '' ? PSQL_WORDS.get(line.trim().replace(/\s*;$/, '').toLowerCase()) : undefined
    if (word !== undefined) {
      // psql's: exit, quit and help alone on a line are what a newcomer types first; as SQL they would only
      // leave a continuation prompt waiting for a ';' (no statement starts with them).
      await runMeta(word, this)
      return
    }
    await this.handleSql(line)
  }

  /**
   * A line in a branch of an \if block that is not taken: only an \if-family meta-command on it runs (it
   * keeps the nesting, and may end the branch); the rest is neither run nor interpolated, as in psql. What
   * is typed goes into the history all the same, as psql keeps every line typed, in the entries a branch
   * taken would make: a statement when its ';' comes, a meta-command on its own (`SELECT … \gx` as one).
   */
  private async handleSkipped(line: string): Promise<void> {
    const meta = metaCommandStart(this.skippedText, line)
    const command = meta < 0 ? '' : line.slice(meta).trim()
    this.skippedSql(meta < 0 ? line : line.slice(0, meta))
    if (meta < 0) return
    const history = this.options.history
    if (isConditionalLine(command)) {
      // psql drops the skipped branch's unfinished statement here; it was typed, so it is kept in the history.
      history.add(this.skippedText.trim())
      this.skippedText = ''
      history.add(command)
      await runMeta(command, this)
      return
    }
    if (SENDS_WITH_STATEMENT.test(command) && this.skippedText.trim() !== '') {
      history.add(`${this.skippedText.trim()} ${command}`)
      this.skippedText = ''
    } else if (!/^\\q(uit)?$/.test(command)) {
      history.add(command)
    }
  }

  /** SQL typed in a skipped branch: kept in skippedText until its statements end, then in the history. */
  private skippedSql(text: string): void {
    this.skippedText = this.skippedText === '' ? text : `${this.skippedText}\n${text}`
    const scan = scanStatements(this.skippedText)
    const restOpen = scan.restHasContent || scan.endState !== 'code'
    if (scan.statements.some((st) => st.terminated)) this.options.history.add(this.skippedText.slice(0, scan.restStart).trim())
    else if (restOpen) return
    this.skippedText = restOpen ? this.skippedText.slice(scan.restStart) : ''
  }

  /** A line of SQL: added to the statement being typed; the statements it ends run. */
  private async handleSql(line: string): Promise<void> {
    this.buffer = this.buffer === '' ? line : `${this.buffer}\n${line}`
    const scan = scanStatements(this.buffer)
    const restOpen = scan.restHasContent || scan.endState !== 'code'
    if (!scan.statements.some((s) => s.terminated)) {
      if (!restOpen) this.buffer = ''
      return
    }
    const text = this.buffer.slice(0, scan.restStart)
    this.buffer = restOpen ? this.buffer.slice(scan.restStart) : ''
    this.options.history.add(text.trim())
    await this.runText(text)
  }

  /** Runs the statements of `text` as typed; false when one failed (the rest of it is not sent). */
  private async runText(text: string): Promise<boolean> {
    const { printer, baseDir } = this.options
    this.lastText = text
    const statements = statementsOf({ label: '', text, baseDir }, this.nextIndex)
    this.nextIndex += statements.length
    const wasInBlock = this.grouper.inBlock
    const opener = statements.findLast((st) => st.verb === 'BEGIN' || st.verb === 'START')
    const units: Unit[] = []
    for (const s of statements) units.push(...this.grouper.push(s))
    for (let i = 0; i < units.length; i++) {
      const unit = units[i] as Unit
      if (unit.rollback !== undefined) {
        printer.note(rollbackNote(unit.rollback))
        continue
      }
      const outcome = await this.send(unit)
      this.names.invalidate()
      if (outcome === STOPPED_WAITING) {
        await printer.releaseHeld()
        const skipped = units.slice(i + 1).reduce((n, u) => n + u.statements.length, 0) + this.grouper.discard()
        printer.warn(`Stopped waiting: the statement was sent and runs on the server all the same (a sequenced transaction is never cancelled); its outcome is shown when it arrives.${skipped > 0 ? ` (${skipped} later statement${skipped === 1 ? '' : 's'} of this input not run)` : ''}`)
        return false
      }
      if (outcome.ok) {
        await printer.results(outcome.results, unit.statements)
      } else {
        // A \gset's result held back from an earlier statement of this input comes before the error.
        await printer.releaseHeld()
        printer.failure(outcome.failure)
      }
      if (this.timing) printer.timing(outcome.elapsedMs)
      if (outcome.ok) continue
      // Later statements of the same input may depend on the failed one: they are not sent.
      const skipped = units.slice(i + 1).reduce((n, u) => n + u.statements.length, 0) + this.grouper.discard()
      if (skipped > 0) printer.warn(`(${skipped} later statement${skipped === 1 ? '' : 's'} of this input not run)`)
      return false
    }
    if (!wasInBlock && this.grouper.inBlock) {
      // Named as typed: START TRANSACTION is the same block, and `BEGIN:` under it read as another statement.
      printer.note(`${blockOpenerName(opener?.text ?? 'BEGIN')}: the statements up to COMMIT are held, then sent together as one transaction (ROLLBACK or \\r drops them).`)
    }
    return true
  }

  /**
   * Sends a unit and waits for its outcome, or until Ctrl-C stops the wait (STOPPED_WAITING): the unit
   * still runs, and its outcome is printed when it comes, with the prompt drawn again under it.
   */
  private async send(unit: Unit): Promise<UnitOutcome | typeof STOPPED_WAITING> {
    this.running = true
    const sent = this.options.session.run(unit)
    const stopped = new Promise<typeof STOPPED_WAITING>((resolve) => { this.stopWaiting = () => resolve(STOPPED_WAITING) })
    try {
      const first = await Promise.race([sent, stopped])
      if (first === STOPPED_WAITING) void sent.then((late) => this.showLate(late, unit), () => {}).catch((err: unknown) => this.unexpected(err))
      return first
    } finally {
      this.running = false
      this.stopWaiting = null
    }
  }

  /**
   * A bug of the console's own (an exception out of handling a line, printing a result included): one error
   * line, and the session goes on (unhandled, it ended the session with a stack trace).
   */
  private unexpected(err: unknown): void {
    const said = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    this.options.printer.failure({ error: new AcheronError('INTERNAL', `the console failed on this input (${said})`), statement: null, at: null })
  }

  private async showLate(outcome: UnitOutcome, unit: Unit): Promise<void> {
    const { printer, output } = this.options
    output.write('\n')
    printer.note('The outcome of the statement you stopped waiting for:')
    if (outcome.ok) await printer.results(outcome.results, unit.statements)
    else printer.failure(outcome.failure)
    this.names.invalidate()
    if (!this.closed) this.rl?.prompt(true)
  }

  // MetaHost (meta-commands.ts): what \q, \r, \i, \e, \watch, \g and \s do in the REPL.

  get history(): History {
    return this.options.history
  }

  /** \g, \gx, \gset: the statement being typed (ending it, with or without ';'), or else the last one run. */
  async sendBuffer(options: SendOptions): Promise<boolean> {
    const typed = this.buffer.trim() !== '' ? this.buffer : null
    const text = typed ?? this.lastText
    if (text === null) {
      this.printer.warn('\\g: no statement to send yet (type one, then \\g)')
      return false
    }
    if (this.grouper.inBlock && refusedInBlock(options)) {
      this.printer.warn(notInBlock(options))
      return false
    }
    if (typed !== null) {
      this.buffer = ''
      this.options.history.add(this.sendingLine === null ? typed.trim() : `${typed.trim()} ${this.sendingLine}`)
    }
    const done = await this.printer.divert(options, () => this.runText(text))
    if (typeof done !== 'string') return done
    this.printer.warn(`\\g: ${done}`)
    return false
  }

  quit(): void {
    this.quitting = true
    this.rl?.close()
  }

  get inBlock(): boolean {
    return this.grouper.inBlock
  }

  reset(): void {
    const held = this.grouper.discard()
    this.buffer = ''
    this.printer.note(held > 0 ? `Query buffer reset; ${heldBlock(held)} was not sent.` : 'Query buffer reset.')
  }

  /** \i FILE: its statements and meta-commands as a script would run them (stopping at the first failure). */
  async include(path: string): Promise<boolean> {
    // The file runs with a grouping of its own and sends its statements now: inside a held block they
    // would commit before the block, and its ROLLBACK would not undo them.
    if (this.grouper.inBlock) {
      this.printer.warn('\\i: not inside a BEGIN block: the file\'s statements would be sent now, on their own, and ROLLBACK would not undo them (COMMIT or ROLLBACK first)')
      return false
    }
    const runner = new ScriptRunner(this.session, this.printer, this.options.baseDir)
    runner.timing = this.timing
    this.running = true
    try {
      return await runner.include(path) && await runner.finish()
    } finally {
      this.running = false
      this.timing = runner.timing
      this.names.invalidate()
    }
  }

  /** \e: the statement being typed (or else the last one run) in the editor; run it if it ends with ';'. */
  readonly edit = async (): Promise<boolean> => {
    if (this.closed) {
      // Read before Ctrl-D: whoever typed it has said they are done, and an editor now would hold the
      // terminal with nobody there. The other lines read before Ctrl-D run on.
      this.printer.warn('\\e skipped: the input ended (Ctrl-D) before it ran, so no editor was opened')
      return true
    }
    const before = this.buffer !== '' ? this.buffer : this.lastText ?? ''
    const command = editorCommand(this.options.env ?? process.env)
    const terminal = this.printer.terminal
    const edit = (): ReturnType<typeof editText> => editText(before, command)
    const edited = await (terminal === null ? edit() : terminal.handOver(edit))
    if (!edited.ok) {
      this.printer.warn(`\\e: ${edited.reason}; nothing was run`)
      return false
    }
    const text = edited.text.replace(/\s+$/, '')
    this.buffer = ''
    if (text === '') return true
    this.printer.note(text)
    const scan = scanStatements(text)
    if (!text.endsWith(';') || scan.restHasContent || scan.endState !== 'code') {
      this.buffer = text   // not finished: it stays the statement being typed
      return true
    }
    this.options.history.add(text)
    return this.runText(text)
  }

  /** \watch N: the statement being typed (or else the last one run) every N seconds until Ctrl-C. */
  readonly watch = async (seconds: number): Promise<boolean> => {
    if (this.grouper.inBlock) {
      this.printer.warn('\\watch: not inside a BEGIN block (COMMIT or ROLLBACK first)')
      return false
    }
    const typed = this.buffer.trim() !== '' ? this.buffer : null
    const text = typed ?? this.lastText
    if (text === null) {
      this.printer.warn('\\watch: no statement to run yet (type one, or end one with \\watch instead of ;)')
      return false
    }
    if (typed !== null) {
      this.buffer = ''
      this.options.history.add(this.sendingLine === null ? typed.trim() : `${typed.trim()} ${this.sendingLine}`)
    }
    const stop = new AbortController()
    this.watchStop = stop
    // A pager would stop the watch until it is quit; psql shows each run on the screen too.
    const pager = this.printer.display.pager
    this.printer.display.pager = false
    try {
      for (let n = 1; !stop.signal.aborted; n++) {
        this.printer.note(`Every ${seconds} s, run ${n} at ${new Date().toISOString()} (Ctrl-C stops)`)
        if (!(await this.runText(text))) {
          this.printer.warn('\\watch stopped: the statement failed')
          return false
        }
        if (this.grouper.inBlock) {
          // Each run would only add to the held block, and nothing would ever be sent.
          this.grouper.discard()
          this.printer.warn('\\watch stopped: the statement opens a BEGIN block without its COMMIT (dropped, not sent)')
          return false
        }
        // After Ctrl-D nobody can press Ctrl-C: a \\watch read before it runs once.
        if (this.closed) break
        await sleep(seconds * 1000, undefined, { signal: stop.signal }).catch(() => undefined)
      }
      this.printer.note('Watch stopped.')
      return true
    } finally {
      this.watchStop = null
      this.printer.display.pager = pager
    }
  }
}

/**
 * Where a meta-command starts in `line`, typed after `buffer`: the offset of its first backslash outside
 * strings, quoted identifiers and comments, or -1 (psql reads one anywhere on a line; SQL has no backslash).
 */
export function metaCommandStart(buffer: string, line: string): number {
  const before = buffer === '' ? '' : `${buffer}\n`
  const at = scanStatements(before + line, { backslashFrom: before.length }).codeBackslash - before.length
  if (at < 0) return -1
  return line.slice(0, at).trim() === '' ? 0 : at
}

/** The statement that opened a BEGIN block, as the note names it: its words as typed, without the `;`. */
export function blockOpenerName(text: string): string {
  return text.replace(/;\s*$/, '').replace(/\s+/g, ' ').trim()
}

/**
 * Up past the oldest history entry keeps the line (readline blanked it). readline moves back through
 * history in `_historyPrev` (its key handler reaches it through a getter); where that is missing (another
 * Node version), readline's own behaviour stays.
 */
function keepLineAtOldestEntry(rl: Interface): void {
  const target = rl as unknown as { line: string; cursor: number; historyIndex: number; history: string[]; _refreshLine(): void; _historyPrev?: () => void }
  const prev = target._historyPrev
  if (typeof prev !== 'function') return
  target._historyPrev = function (this: typeof target) {
    const before = { line: this.line, cursor: this.cursor, index: this.historyIndex }
    prev.call(this)
    if (this.historyIndex >= this.history.length && before.index >= 0 && before.index < this.history.length) {
      this.historyIndex = before.index
      this.line = before.line
      this.cursor = before.cursor
      this._refreshLine()
    }
  }
}
