// What the console runs: texts (the REPL's input, a -e argument, a -f file) and the statements in them.
import { scanStatements, type MetaLine, type ScannedStatement } from './scan.js'

export interface Source {
  /** How messages name it: '' for the REPL and a lone -e, '-e #2' among several, the path for -f. */
  readonly label: string
  readonly text: string
  /** The directory `FROM WASM FILE 'path'` is resolved from. */
  readonly baseDir: string
}

export interface SourceStatement {
  readonly source: Source
  /** 0-based among all the statements of the run (or of the REPL session). */
  readonly index: number
  /** From its first character through its `;` (comments before it excluded). */
  readonly text: string
  /** Where `text` starts in `source.text`. */
  readonly offset: number
  /** Its first word in upper case ('BEGIN', 'SELECT', ...), '' if it starts otherwise. */
  readonly verb: string
}

/** The statements of `source`, numbered from `firstIndex`; a last one without `;` included. */
export function statementsOf(source: Source, firstIndex: number): SourceStatement[] {
  return scanStatements(source.text).statements.map((s, i) => statementAt(source, s, firstIndex + i))
}

function statementAt(source: Source, s: ScannedStatement, index: number): SourceStatement {
  const text = source.text.slice(s.start, s.end)
  return { source, index, text, offset: s.start, verb: /^[A-Za-z_][A-Za-z0-9_]*/.exec(text)?.[0].toUpperCase() ?? '' }
}

/** What a script (-e, -f, \i) holds, in the order it runs: statements and meta-command lines. */
export type ScriptItem =
  | { readonly kind: 'statement'; readonly statement: SourceStatement; readonly sentByMeta: boolean; readonly terminated: boolean }
  | { readonly kind: 'meta'; readonly text: string; readonly source: Source; readonly offset: number }

/**
 * The statements and meta-command lines of `source`. A statement runs at its end (its `;`), a meta-command
 * where it stands, as in the REPL: a meta-command line inside an unfinished statement runs before it.
 */
export function scriptItems(source: Source, firstIndex: number): ScriptItem[] {
  return scriptItemsIn(source, source.text, 0, firstIndex)
}

/**
 * scriptItems of `text`, a piece of `source` that starts at its offset `from`, of the same length (the
 * script runner blanks in it what \if skipped): offsets are in `source.text`, statements' text from `text`.
 */
export function scriptItemsIn(source: Source, text: string, from: number, firstIndex: number): ScriptItem[] {
  const scan = scanStatements(text, { metaLines: true })
  const items: { at: number; item: ScriptItem }[] = []
  // A meta-command line inside a statement runs apart and is no part of it (psql leaves it out of the
  // query buffer): blanked in the statement's text, so that positions in the text still hold.
  const sql = withoutMetaLines(text, scan.metaLines)
  scan.statements.forEach((s, i) => items.push({ at: s.end, item: { kind: 'statement', statement: statementIn(source, sql, from, s, firstIndex + i), sentByMeta: s.sentByMeta === true, terminated: s.terminated } }))
  for (const m of scan.metaLines) items.push({ at: m.start, item: { kind: 'meta', text: text.slice(m.start, m.end).trim(), source, offset: from + m.start } })
  return items.sort((a, b) => a.at - b.at).map((x) => x.item)
}

/** `text` with every meta-command line replaced by spaces (a line's end is not part of it). */
function withoutMetaLines(text: string, metaLines: readonly MetaLine[]): string {
  if (metaLines.length === 0) return text
  let out = ''
  let at = 0
  for (const m of metaLines) {
    out += text.slice(at, m.start) + ' '.repeat(m.end - m.start)
    at = m.end
  }
  return out + text.slice(at)
}

function statementIn(source: Source, text: string, from: number, s: ScannedStatement, index: number): SourceStatement {
  const st = statementAt({ ...source, text }, s, index)
  return { ...st, source, offset: from + s.start }
}
