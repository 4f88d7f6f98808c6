// Where statements end in console input: at a `;` outside 'strings', "quoted identifiers", X'blobs',
// -- line comments and /* block comments */.
//
// A scanner of its own rather than src/sql/lexer.ts, on purpose: the console must split text the lexer
// rejects. An unfinished statement (an open string while the user is still typing) is not an error here,
// only "not complete yet"; and a bad character in the third statement of a script must not stop the first
// two from running: the server reports it, in its statement. Blobs need no state of their own: X'..' closes
// at the first quote, and a doubled quote after it opens a new string, so quote parity (all that matters for
// finding `;`) is the same as for a string. test/console/scan.test.ts checks that this agrees with
// splitScript on every script the lexer accepts.

export type ScanState = 'code' | 'string' | 'ident' | 'line-comment' | 'block-comment'

export interface ScannedStatement {
  /** Offset of the statement's first character that is neither space nor comment. */
  readonly start: number
  /** Offset just past its `;`, or past its last non-space character when the text ends without `;`. */
  readonly end: number
  /** True when it ends with `;` (or, with `metaLines`, at a `\g` line). */
  readonly terminated: boolean
  /** With `metaLines`: it ends at a `\g`, `\gx` or `\gset` line (psql's: send the buffer), which sends it. */
  readonly sentByMeta?: boolean
}

export interface ScanResult {
  /** The complete statements (each ended by `;`), then the unterminated rest when it holds anything. */
  readonly statements: readonly ScannedStatement[]
  /** Offset just past the last `;` (0 if none): where the unfinished rest begins. */
  readonly restStart: number
  /** Whether the rest after the last `;` holds anything but space and comments. */
  readonly restHasContent: boolean
  /** The state at the end of the text: not 'code' while a string, identifier or block comment is open. */
  readonly endState: ScanState
  /** With `metaLines`: the meta-command lines (from their backslash to the line's end), in order. */
  readonly metaLines: readonly MetaLine[]
  /** With `backslashFrom`: the offset of the first backslash at or after it outside strings and comments, else -1. */
  readonly codeBackslash: number
}

/** From a backslash outside any string or comment to its line's end: a meta-command (`\d t`, `SELECT 1 \gx`). */
export interface MetaLine {
  /** Offset of its backslash. */
  readonly start: number
  /** Offset of its line end (or of the text's end). */
  readonly end: number
}

export interface ScanOptions {
  /**
   * A backslash outside any string or comment starts a meta-command that runs to the line's end, as in psql
   * scripts (at a line's start, or after a statement: `SELECT 1 \gx`): they are reported apart and are no
   * part of any statement's content.
   */
  readonly metaLines?: boolean
  /** Where to look for a backslash outside strings and comments (the REPL's meta-command on a line of SQL). */
  readonly backslashFrom?: number
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f' || c === '\v'
}

export function scanStatements(text: string, options: ScanOptions = {}): ScanResult {
  const statements: ScannedStatement[] = []
  const metaLines: MetaLine[] = []
  let state: ScanState = 'code'
  let start = -1          // first content offset of the current statement, -1 while none
  let lastContentEnd = 0  // offset just past the last content character seen
  let restStart = 0
  let codeBackslash = -1
  let commentStart = -1   // offset of the `/*` of the block comment last opened
  const backslashFrom = options.backslashFrom ?? text.length
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    switch (state) {
      case 'string':
      case 'ident': {
        // A doubled quote is the escape; it reads as a close and an immediate re-open, which is the same.
        if (c === (state === 'string' ? "'" : '"')) state = 'code'
        lastContentEnd = i + 1
        continue
      }
      case 'line-comment':
        if (c === '\n') state = 'code'
        continue
      case 'block-comment':
        if (c === '*' && text[i + 1] === '/') { state = 'code'; i++ }
        continue
      case 'code':
        break
    }
    // As psql reads them, at a line's start or after a statement on it (`SELECT 1 \gx`): SQL has no backslash.
    if (options.metaLines === true && c === '\\') {
      const newline = text.indexOf('\n', i)
      const meta = { start: i, end: newline < 0 ? text.length : newline }
      // psql's \g, \gx and \gset end the statement being typed and send it (with their options).
      if (start >= 0 && /^\\g(?:x|set)?(?:\s|$)/.test(text.slice(meta.start, meta.end))) {
        statements.push({ start, end: Math.max(lastContentEnd, start + 1), terminated: true, sentByMeta: true })
        start = -1
        restStart = meta.start
      }
      metaLines.push(meta)
      i = meta.end - 1
      continue
    }
    if (isSpace(c)) continue
    if (c === '\\' && i >= backslashFrom && codeBackslash < 0) codeBackslash = i
    if (c === '-' && text[i + 1] === '-') { state = 'line-comment'; i++; continue }
    if (c === '/' && text[i + 1] === '*') { state = 'block-comment'; commentStart = i; i++; continue }
    if (c === ';') {
      if (start >= 0) statements.push({ start, end: i + 1, terminated: true })
      start = -1
      restStart = i + 1
      continue
    }
    if (start < 0) start = i
    if (c === "'") state = 'string'
    else if (c === '"') state = 'ident'
    lastContentEnd = i + 1
  }
  // A block comment still open at the end belongs to the statement it follows, and is sent with it, so that
  // the server reports it: cut off, `DELETE FROM t /* WHERE k = 2` ran as `DELETE FROM t`.
  if (start >= 0) statements.push({ start, end: state === 'block-comment' ? text.length : Math.max(lastContentEnd, start + 1), terminated: false })
  // One open after the last statement is sent too, alone, for the same report: a script whose `/*` was never
  // closed ran nothing after it and exited 0, as if the rest had been commented out on purpose.
  else if (state === 'block-comment') statements.push({ start: commentStart, end: text.length, terminated: false })
  return { statements, restStart, restHasContent: start >= 0, endState: state === 'line-comment' ? 'code' : state, metaLines, codeBackslash }
}
