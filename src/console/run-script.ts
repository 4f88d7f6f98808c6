// `acheron console -e SQL -f FILE ...` and `\i FILE`: every statement and meta-command of the sources in
// order, one unit per request; 0 when all succeed, 1 at the first failure (printed to stderr; nothing
// after it is sent). `\q` stops the script with 0; `\e` and `\watch` are for the REPL only.
import { AcheronError } from '../errors.js'
import { notInBlock, refusedInBlock, runMeta, type MetaHost, type SendOptions } from './meta-commands.js'
import type { Printer } from './printer.js'
import { InputError, scriptSource } from './script-file.js'
import type { Session } from './session.js'
import { ConditionalStack, isConditionalLine } from './conditional.js'
import { scanStatements } from './scan.js'
import { scriptItemsIn, statementsOf, type Source, type SourceStatement } from './source.js'
import { lineColumnOf } from './text-position.js'
import { heldBlock, rollbackNote, UnitGrouper, type Unit } from './units.js'

/** How deep \i may nest (a file that includes itself stops here instead of forever). */
export const INCLUDE_DEPTH_MAX = 16

export function unitsOf(sources: readonly Source[]): Unit[] {
  const grouper = new UnitGrouper()
  const units: Unit[] = []
  let index = 0
  for (const source of sources) {
    const statements = statementsOf(source, index)
    index += statements.length
    for (const s of statements) units.push(...grouper.push(s))
  }
  units.push(...grouper.flush())
  return units
}

/** Runs sources one after the other with one BEGIN … COMMIT grouping across them; the MetaHost of scripts. */
export class ScriptRunner implements MetaHost {
  timing = false
  /** After \q: nothing more runs. */
  stopped = false
  readonly edit = null
  readonly watch = null
  readonly history = null
  /** The meta-command running: its source and offset (its line is counted only when a warning names it). */
  private meta: { readonly source: Source; readonly offset: number } | null = null
  /** The statement a `\g` line ended, which that \g sends. */
  private pending: SourceStatement | null = null
  /** The last statement sent, which a \g with none before it sends again (as psql's). */
  private lastStatement: SourceStatement | null = null
  private readonly grouper = new UnitGrouper()
  private nextIndex = 0
  private depth = 0
  /** The \if blocks of the source being run (each -e, -f and \i file has its own, as psql's files do). */
  conditionals = new ConditionalStack()

  constructor(readonly session: Session, readonly printer: Printer, private readonly cwd: string) {}

  /**
   * Before each warning: `FILE:line: ` of the meta-command running, '' for a lone -e. Counted when asked: a
   * script of 60,000 \set lines spent 14 s counting lines from the start for each.
   */
  get where(): string {
    const m = this.meta
    return m === null || m.source.label === '' ? '' : `${m.source.label}:${lineColumnOf(m.source.text, m.offset).line}: `
  }

  quit(): void {
    this.stopped = true
  }

  get inBlock(): boolean {
    return this.grouper.inBlock
  }

  reset(): void {
    const held = this.grouper.discard()
    if (held > 0) this.printer.warn(`\\r: ${heldBlock(held)} was not sent`)
  }

  /** \i FILE, relative to the current directory. */
  async include(path: string): Promise<boolean> {
    if (this.depth >= INCLUDE_DEPTH_MAX) {
      this.printer.warn(`${this.where}\\i: ${path}: files nest deeper than ${INCLUDE_DEPTH_MAX} (does one include itself?)`)
      return false
    }
    let source: Source
    try {
      source = scriptSource(path, this.cwd)
    } catch (err) {
      if (!(err instanceof InputError)) throw err
      this.printer.warn(`${this.where}\\i: ${err.message}`)
      return false
    }
    this.depth++
    try {
      return await this.runSource(source)
    } finally {
      this.depth--
    }
  }

  /**
   * The statements and meta-commands of `source`; false at the first failure. Its \if blocks are its own,
   * as psql's are a file's: one left open at its end is a failure.
   */
  async runSource(source: Source): Promise<boolean> {
    const outer = this.conditionals
    this.conditionals = new ConditionalStack()
    try {
      if (!(await this.runPieces(source))) return false
      if (this.stopped || this.conditionals.depth === 0) return true
      this.printer.warn(`${source.label === '' ? '' : `${source.label}: `}reached the end without finding closing \\endif (${this.conditionals.depth} \\if block${this.conditionals.depth === 1 ? '' : 's'} open)`)
      return false
    } finally {
      this.conditionals = outer
    }
  }

  /**
   * `source` piece by piece between its \if-family lines, each run once the lines before it have said whether
   * it runs. The text is scanned as a whole first, so that a backslash inside a string or a comment (taken or
   * not) is no meta-command, as psql's lexer reads a skipped branch too; a piece skipped is blanked (line
   * breaks kept, so offsets and line numbers stay), and a statement may go on across a block's lines
   * (`SELECT` `\if :x` `1` `\else` `2` `\endif` `;`) as in psql.
   */
  private async runPieces(source: Source): Promise<boolean> {
    const text = source.text
    const stops = scanStatements(text, { metaLines: true }).metaLines.filter((m) => isConditionalLine(text.slice(m.start, m.end)))
    const blanks: { start: number; end: number }[] = []
    let from = 0        // where the text not yet run starts (an unfinished statement's start)
    let ranTo = 0       // meta-commands before this offset have run
    let pieceStart = 0  // where the piece since the last \if-family line starts
    for (const stop of [...stops, { start: text.length, end: text.length }]) {
      const last = stop.start === text.length
      if (!this.conditionals.active) blanks.push({ start: pieceStart, end: stop.start })
      if (this.conditionals.active || last) {
        const items = scriptItemsIn(source, blanked(text, from, stop.start, blanks), from, this.nextIndex)
        let next = stop.start
        for (const item of items) {
          if (this.stopped) return true
          if (item.kind === 'meta') {
            if (item.offset < ranTo) continue
            this.meta = { source, offset: item.offset }
            if (!(await runMeta(item.text, this))) return false
            continue
          }
          if (!item.terminated && !last) {
            // Not ended yet: it goes on after the \if-family line, and is scanned again with what follows.
            next = item.statement.offset
            continue
          }
          // At the end inside an open block, the statement left without its `;` is not sent (psql's neither).
          if (!item.terminated && this.conditionals.depth > 0) continue
          this.nextIndex++
          if (item.sentByMeta) {
            this.pending = item.statement
            continue
          }
          if (!(await this.runStatement(item.statement))) return false
        }
        from = next
        ranTo = stop.start
        // Only the blanks inside a statement still going on are needed again (a script may hold many blocks).
        const kept = blanks.filter((b) => b.end > from)
        blanks.splice(0, blanks.length, ...kept)
      }
      if (last || this.stopped) return true
      blanks.push(stop)
      this.meta = { source, offset: stop.start }
      if (!(await runMeta(text.slice(stop.start, stop.end).trim(), this))) return false
      pieceStart = stop.end
    }
    return true
  }

  private async runStatement(statement: SourceStatement): Promise<boolean> {
    this.lastStatement = statement
    for (const unit of this.grouper.push(statement)) {
      if (!(await this.runUnit(unit))) return false
    }
    return true
  }

  /** \g, \gx, \gset: the statement its line ended, or else the last one sent. */
  async sendBuffer(options: SendOptions): Promise<boolean> {
    const statement = this.pending ?? this.lastStatement
    this.pending = null
    if (statement === null) {
      this.printer.warn(`${this.where}\\g: no statement to send yet`)
      return false
    }
    if (this.grouper.inBlock && refusedInBlock(options)) {
      this.printer.warn(`${this.where}${notInBlock(options)}`)
      return false
    }
    const done = await this.printer.divert(options, () => this.runStatement(statement))
    if (typeof done === 'string') {
      this.printer.warn(`${this.where}\\g: ${done}`)
      return false
    }
    return done
  }

  /** The end of the input: a BEGIN without COMMIT is sent as it is (and the server refuses it). */
  async finish(): Promise<boolean> {
    if (this.stopped) return true
    for (const unit of this.grouper.flush()) {
      if (!(await this.runUnit(unit))) return false
    }
    return true
  }

  private async runUnit(unit: Unit): Promise<boolean> {
    if (unit.rollback !== undefined) {
      // On stderr: stdout holds only results (one JSON line each with --json).
      this.printer.warn(rollbackNote(unit.rollback))
      return true
    }
    const outcome = await this.session.run(unit)
    if (!outcome.ok) {
      this.printer.failure(outcome.failure)
      return false
    }
    await this.printer.results(outcome.results, unit.statements)
    if (this.timing) this.printer.timing(outcome.elapsedMs)
    return true
  }
}

/** `text` from `from` to `to`, with the spans of `blanks` in it made blanks (line breaks kept). */
function blanked(text: string, from: number, to: number, blanks: readonly { start: number; end: number }[]): string {
  let out = ''
  let at = from
  for (const b of blanks) {
    const start = Math.max(b.start, at)
    const end = Math.min(b.end, to)
    if (start >= end) continue
    out += text.slice(at, start) + text.slice(start, end).replace(/[^\n]/g, ' ')
    at = end
  }
  return out + text.slice(at, to)
}

export async function runScript(sources: readonly Source[], session: Session, printer: Printer, cwd = process.cwd()): Promise<number> {
  const runner = new ScriptRunner(session, printer, cwd)
  try {
    for (const source of sources) {
      if (!(await runner.runSource(source))) return 1
    }
    return (await runner.finish()) ? 0 : 1
  } catch (err) {
    if (!(err instanceof AcheronError)) throw err
    printer.failure({ error: err, statement: null, at: null })
    return 1
  }
}
