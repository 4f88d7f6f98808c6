// The interactive console on node:readline: statements over several lines until `;` (a continuation prompt
// meanwhile), BEGIN … COMMIT held and sent as one unit at its COMMIT, meta-commands (\help, \timing, \r,
// \q), history across runs, Ctrl-C to drop the statement being typed, Ctrl-D or \q to leave.
import { createInterface, type Completer, type Interface } from 'node:readline'
import { CatalogNamesCache, complete } from './completion.js'
import type { History } from './history.js'
import { HISTORY_ENTRIES_MAX } from './history.js'
import type { Printer } from './printer.js'
import { scanStatements } from './scan.js'
import type { Session } from './session.js'
import { statementsOf } from './source.js'
import { rollbackNote, UnitGrouper, type Unit } from './units.js'

export const PROMPT = 'acheron> '
/** Between BEGIN and COMMIT, like psql's `=*>`. */
export const BLOCK_PROMPT = 'acheron*> '

/** The continuation prompt under `prompt`: its `> ` becomes `-> `, aligned. */
export function continuationPrompt(prompt: string): string {
  return `${' '.repeat(prompt.length - 3)}-> `
}

export const HELP = String.raw`Statements end with ';' and may span lines; each is sent, and its result shown, on its own.
BEGIN; ...; COMMIT; is one transaction: its statements are held and sent together at COMMIT;
ROLLBACK; drops them unsent.

Meta-commands (at the start of a line):
  \help, \h, \?      this help
  \timing [on|off]   show how long each statement took (without an argument: toggle)
  \r                 forget the statement being typed, and a BEGIN block not yet sent
  \q                 quit (also Ctrl-D); Ctrl-C forgets the statement being typed
  Tab completes keywords, tables, columns and functions; Up/Down walk the history

SQL (docs/sql.md):
  CREATE TABLE [IF NOT EXISTS] t (col TYPE [NOT NULL] [DEFAULT v] [PRIMARY KEY], ...) [PARTITIONS n]
  DROP TABLE [IF EXISTS] t
  CREATE [OR REPLACE] FUNCTION t.f FROM WASM FILE 'path' | X'hex' | BASE64 '...' [EXPORT 'name']
      [WITH (FUEL = n, MEMORY = bytes)]       (FILE is read here, relative to the current directory)
  DROP FUNCTION [IF EXISTS] t.f     SHOW TABLES     SHOW FUNCTIONS     DESCRIBE t
  CALL t.f(key, arg, ...)
  INSERT [OR REPLACE] INTO t [(cols)] VALUES (...), ...
  UPDATE t SET col = expr, ... [WHERE ...]     DELETE FROM t [WHERE ...]
  SELECT ... FROM t [WHERE ...] [GROUP BY ...] [ORDER BY ...] [LIMIT n]`

export interface ReplOptions {
  readonly session: Session
  readonly printer: Printer
  readonly history: History
  readonly input: NodeJS.ReadableStream
  readonly output: NodeJS.WritableStream
  /** Where FROM WASM FILE paths are resolved from. */
  readonly baseDir: string
}

export class Repl {
  private buffer = ''
  private readonly grouper = new UnitGrouper()
  private nextIndex = 0
  private timing = false
  private running = false
  private interruptsWhileRunning = 0
  private quitting = false
  private linesQueued = 0
  private queue: Promise<void> = Promise.resolve()
  private rl: Interface | null = null
  private readonly names: CatalogNamesCache

  constructor(private readonly options: ReplOptions) {
    this.names = new CatalogNamesCache((sql) => options.session.rows(sql))
  }

  /** Tab: keywords, meta-commands and the catalog's names (docs/console.md). */
  private readonly completer = (line: string, callback: (err: null, result: [string[], string]) => void): void => {
    void this.names.get().then((names) => callback(null, complete(line, names)))
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
    return new Promise<number>((resolve) => {
      rl.on('line', (line: string) => {
        this.syncHistory()
        this.linesQueued++
        this.queue = this.queue.then(() => this.handle(line)).then(() => {
          this.linesQueued--
          this.syncHistory()
          if (this.linesQueued === 0 && !this.quitting) this.prompt()
        })
      })
      rl.on('SIGINT', () => {
        if (this.interrupt()) resolve(130)
      })
      rl.on('close', () => {
        if (!this.quitting) output.write('\n')   // Ctrl-D: leave the shell's prompt on a line of its own
        this.quitting = true
        void this.queue.then(() => resolve(0))
      })
      this.prompt()
    })
  }

  private prompt(): void {
    const rl = this.rl
    if (rl === null) return
    const base = this.grouper.inBlock ? BLOCK_PROMPT : PROMPT
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
    if (this.running) {
      this.interruptsWhileRunning++
      if (this.interruptsWhileRunning >= 2) {
        this.options.output.write('\n')
        return true
      }
      this.options.printer.warn('\nThe statement in flight cannot be cancelled: its outcome will be shown. Ctrl-C again leaves the console.')
      return false
    }
    rl.write(null, { ctrl: true, name: 'e' })
    this.options.output.write('^C\n')
    rl.write(null, { ctrl: true, name: 'u' })
    this.buffer = ''
    this.grouper.discard()
    this.prompt()
    return false
  }

  private async handle(line: string): Promise<void> {
    if (this.quitting) return
    if (scanStatements(this.buffer).endState === 'code' && /^\s*\\/.test(line)) {
      // \q stays out of the history: Up then Enter should not leave the console.
      if (!/^\\q(uit)?$/.test(line.trim())) this.options.history.add(line.trim())
      this.meta(line.trim())
      return
    }
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

  private async runText(text: string): Promise<void> {
    const { printer, baseDir } = this.options
    const statements = statementsOf({ label: '', text, baseDir }, this.nextIndex)
    this.nextIndex += statements.length
    const wasInBlock = this.grouper.inBlock
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
      if (outcome.ok) printer.results(outcome.results, unit.statements)
      else printer.failure(outcome.failure)
      if (this.timing) printer.timing(outcome.elapsedMs)
      if (outcome.ok) continue
      // Later statements of the same input may depend on the failed one: they are not sent.
      const skipped = units.slice(i + 1).reduce((n, u) => n + u.statements.length, 0) + this.grouper.discard()
      if (skipped > 0) printer.warn(`(${skipped} later statement${skipped === 1 ? '' : 's'} of this input not run)`)
      return
    }
    if (!wasInBlock && this.grouper.inBlock) {
      printer.note('BEGIN: the statements up to COMMIT are held, then sent together as one transaction (ROLLBACK or \\r drops them).')
    }
  }

  private async send(unit: Unit): ReturnType<Session['run']> {
    this.running = true
    this.interruptsWhileRunning = 0
    try {
      return await this.options.session.run(unit)
    } finally {
      this.running = false
    }
  }

  private meta(command: string): void {
    const { printer } = this.options
    const [name = '', ...args] = command.split(/\s+/)
    switch (name) {
      case '\\q':
      case '\\quit':
        this.quitting = true
        this.rl?.close()
        return
      case '\\help':
      case '\\h':
      case '\\?':
        printer.note(HELP)
        return
      case '\\timing': {
        const arg = args[0]?.toLowerCase()
        if (arg !== undefined && arg !== 'on' && arg !== 'off') {
          printer.warn(`\\timing takes on or off, not ${args[0]}`)
          return
        }
        this.timing = arg === undefined ? !this.timing : arg === 'on'
        printer.note(`Timing is ${this.timing ? 'on' : 'off'}.`)
        return
      }
      case '\\r':
      case '\\reset': {
        const held = this.grouper.discard()
        this.buffer = ''
        printer.note(held > 0 ? `Query buffer reset; the BEGIN block (${held} statement${held === 1 ? '' : 's'}) was not sent.` : 'Query buffer reset.')
        return
      }
      default:
        printer.warn(`unknown meta-command ${name}: \\help lists them`)
    }
  }
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
