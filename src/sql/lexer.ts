// Tokens of a whole script, with their positions in it. One pass, no backtracking, linear in the text.
import { AcheronError } from '../errors.js'
import { loneSurrogateIndex, notWellFormedMessage } from '../values.js'
import type { Pos } from './ast.js'

export type TokenKind =
  | 'word'     // a keyword or bare identifier: [A-Za-z_][A-Za-z0-9_]*
  | 'ident'    // a "quoted identifier"
  | 'string'   // 'text'
  | 'blob'     // X'hex'
  | 'integer'  // digits
  | 'real'     // digits with a fraction or an exponent
  | 'param'    // ?
  | 'punct'    // ( ) , ; . = == != <> < <= > >= + - * / % || -> ->>
  | 'end'      // end of statement (at its `;` or at the end of the script)

export interface Token extends Pos {
  readonly kind: TokenKind
  /**
   * word: upper case; ident and string: the decoded content; blob: the hex digits; integer and real: the
   * digits; punct: the symbol (`==` is `=`, `<>` is `!=`); end: ''.
   */
  readonly value: string
  /** Offset just past the token. */
  readonly end: number
}

const enum Ch {
  Tab = 9, Newline = 10, CarriageReturn = 13, Space = 32, Bang = 33, DoubleQuote = 34, Percent = 37, Quote = 39,
  LParen = 40, RParen = 41, Star = 42, Plus = 43, Comma = 44, Minus = 45, Dot = 46, Slash = 47,
  Dollar = 36, Zero = 48, Nine = 57, Colon = 58, Semicolon = 59, Less = 60, Equals = 61, Greater = 62, Question = 63, At = 64,
  UpperA = 65, UpperE = 69, UpperX = 88, UpperZ = 90, Underscore = 95, LowerA = 97, LowerE = 101, LowerX = 120, LowerZ = 122, Pipe = 124,
  FormFeed = 12, VerticalTab = 11,
}

function isDigit(c: number): boolean { return c >= Ch.Zero && c <= Ch.Nine }
function isWordStart(c: number): boolean {
  return (c >= Ch.UpperA && c <= Ch.UpperZ) || (c >= Ch.LowerA && c <= Ch.LowerZ) || c === Ch.Underscore
}
function isWordPart(c: number): boolean { return isWordStart(c) || isDigit(c) }
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}

/**
 * What to write instead, when the character at `at` starts another SQL dialect's parameter (PostgreSQL's
 * `$1`, SQLite's `:name`, `@name`, `$name`; a cast `x::type` is unofferedOperator's): users of psql, node-postgres and
 * better-sqlite3 type these by habit, and "unexpected character" alone does not say what Acheron wants.
 */
function foreignSyntaxHint(src: string, at: number): string {
  const c = src.charCodeAt(at)
  const c2 = src.charCodeAt(at + 1)
  const sigil = c === Ch.Dollar || c === Ch.Colon || c === Ch.At
  if (!sigil || !(isWordPart(c2))) return ''
  let j = at + 1
  while (j < src.length && isWordPart(src.charCodeAt(j))) j++
  return `: a parameter is written ?, not ${src.slice(at, j)} (the values are given in the order of the ?s in the statement)`
}

/** Shows a piece of source text in a message: short, on one line. */
export function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ')
  return flat.length > 24 ? `${flat.slice(0, 24)}…` : flat
}

export class Lexer {
  private i = 0
  private line = 1
  private lineStart = 0

  constructor(readonly src: string) {}

  /** The position of the next character (after skipped space and comments, once `next` has run). */
  here(): Pos {
    return { offset: this.i, line: this.line, column: this.i - this.lineStart + 1 }
  }

  /** The next token; at the end of the script, an `end` token there (every time it is asked). */
  next(): Token {
    this.skipSpaceAndComments()
    const src = this.src
    const start = this.i
    const line = this.line
    const column = start - this.lineStart + 1
    const tok = (kind: TokenKind, value: string): Token => ({ kind, value, offset: start, line, column, end: this.i })
    if (start >= src.length) return tok('end', '')
    const c = src.charCodeAt(start)

    if (isWordStart(c)) {
      if ((c === Ch.UpperX || c === Ch.LowerX) && src.charCodeAt(start + 1) === Ch.Quote) return this.blob(start, line, column)
      let j = start + 1
      while (j < src.length && isWordPart(src.charCodeAt(j))) j++
      this.i = j
      return tok('word', src.slice(start, j).toUpperCase())
    }
    if (isDigit(c) || (c === Ch.Dot && isDigit(src.charCodeAt(start + 1)))) return this.number(start, line, column)
    if (c === Ch.Quote) {
      const value = this.quoted(Ch.Quote, 'unterminated string literal', start, line, column)
      return tok('string', value)
    }
    if (c === Ch.DoubleQuote) {
      const value = this.quoted(Ch.DoubleQuote, 'unterminated quoted identifier', start, line, column)
      return tok('ident', value)
    }
    const c2 = src.charCodeAt(start + 1)
    const punct = (len: number, value: string): Token => { this.i = start + len; return tok('punct', value) }
    switch (c) {
      case Ch.Question: this.i = start + 1; return tok('param', '?')
      case Ch.LParen: return punct(1, '(')
      case Ch.RParen: return punct(1, ')')
      case Ch.Comma: return punct(1, ',')
      case Ch.Semicolon: return punct(1, ';')
      case Ch.Dot: return punct(1, '.')
      case Ch.Plus: return punct(1, '+')
      case Ch.Minus:
        if (c2 === Ch.Greater) return src.charCodeAt(start + 2) === Ch.Greater ? punct(3, '->>') : punct(2, '->')
        return punct(1, '-')
      case Ch.Star: return punct(1, '*')
      case Ch.Slash: return punct(1, '/')
      case Ch.Percent: return punct(1, '%')
      case Ch.Equals: return c2 === Ch.Equals ? punct(2, '=') : punct(1, '=')
      case Ch.Bang: if (c2 === Ch.Equals) return punct(2, '!='); break
      case Ch.Less: return c2 === Ch.Equals ? punct(2, '<=') : c2 === Ch.Greater ? punct(2, '!=') : punct(1, '<')
      case Ch.Greater: return c2 === Ch.Equals ? punct(2, '>=') : punct(1, '>')
      case Ch.Pipe: if (c2 === Ch.Pipe) return punct(2, '||'); break
    }
    if (loneSurrogateIndex(src, start, Math.min(start + 2, src.length)) === start) throw this.notWellFormed('SQL text', start)
    const ch = String.fromCodePoint(src.codePointAt(start) ?? c)
    const look = lookAlike(ch)
    if (look !== null) throw this.error(look, line, column)
    throw this.error(`unexpected character '${ch}'${unofferedOperator(ch, src.charAt(start + 1)) || foreignSyntaxHint(src, start)}`, line, column)
  }

  private error(message: string, line: number, column: number): AcheronError {
    return new AcheronError('SYNTAX_ERROR', message, { line, column })
  }

  /**
   * SYNTAX_ERROR at the lone surrogate at `at`, on the current line: TEXT must be well-formed UTF-16
   * (values.ts, checkWellFormedText), and so must the whole script, comments included.
   */
  private notWellFormed(what: string, at: number): AcheronError {
    const line = this.line
    const column = at - this.lineStart + 1
    return this.error(notWellFormedMessage(what, this.src.charCodeAt(at), `line ${line}, column ${column}`), line, column)
  }

  /** Counts the newlines of [from, to) (to the lone surrogate there first, if any, which it throws at). */
  private advanceLines(from: number, to: number, what: string): void {
    const src = this.src
    const bad = loneSurrogateIndex(src, from, to)
    const end = bad < 0 ? to : bad
    for (let k = from; k < end; k++) if (src.charCodeAt(k) === Ch.Newline) this.newline(k)
    if (bad >= 0) throw this.notWellFormed(what, bad)
  }

  private newline(at: number): void {
    this.line++
    this.lineStart = at + 1
  }

  private skipSpaceAndComments(): void {
    const src = this.src
    for (;;) {
      const c = src.charCodeAt(this.i)
      if (c === Ch.Newline) { this.newline(this.i); this.i++; continue }
      if (c === Ch.Space || c === Ch.Tab || c === Ch.CarriageReturn || c === Ch.FormFeed || c === Ch.VerticalTab) { this.i++; continue }
      if (c === Ch.Minus && src.charCodeAt(this.i + 1) === Ch.Minus) {
        const nl = src.indexOf('\n', this.i + 2)
        const end = nl < 0 ? src.length : nl
        const bad = loneSurrogateIndex(src, this.i + 2, end)
        if (bad >= 0) throw this.notWellFormed('comment', bad)
        this.i = end
        continue
      }
      if (c === Ch.Slash && src.charCodeAt(this.i + 1) === Ch.Star) {
        const line = this.line
        const column = this.i - this.lineStart + 1
        const close = src.indexOf('*/', this.i + 2)
        if (close < 0) throw this.error('unterminated /* comment', line, column)
        this.advanceLines(this.i + 2, close, 'comment')
        this.i = close + 2
        continue
      }
      return
    }
  }

  /** The content of '...' or "...", with the doubled quote as its escape. */
  private quoted(quote: number, unterminated: string, start: number, line: number, column: number): string {
    const src = this.src
    const q = String.fromCharCode(quote)
    const what = quote === Ch.Quote ? 'string literal' : 'quoted identifier'
    let j = start + 1
    let out = ''
    for (;;) {
      const close = src.indexOf(q, j)
      if (close < 0) throw this.error(unterminated, line, column)
      // Piece by piece between quotes: a pair split by a '' escape is two lone surrogates in the value.
      this.advanceLines(j, close, what)
      out += src.slice(j, close)
      if (src.charCodeAt(close + 1) === quote) {
        out += q
        j = close + 2
        continue
      }
      this.i = close + 1
      return out
    }
  }

  private blob(start: number, line: number, column: number): Token {
    const src = this.src
    const close = src.indexOf("'", start + 2)
    if (close < 0) throw this.error('unterminated blob literal', line, column)
    for (let k = start + 2; k < close; k++) {
      const c = src.charCodeAt(k)
      if (c === Ch.Newline) this.newline(k)
      if (isHexDigit(c)) continue
      if (loneSurrogateIndex(src, k, Math.min(k + 2, close)) === k) throw this.notWellFormed('blob literal', k)
      throw this.error(`invalid blob literal: '${excerpt(String.fromCodePoint(src.codePointAt(k) ?? c))}' is not a hex digit`, line, column)
    }
    if ((close - start - 2) % 2 !== 0) throw this.error('invalid blob literal: an odd number of hex digits', line, column)
    this.i = close + 1
    return { kind: 'blob', value: src.slice(start + 2, close), offset: start, line, column, end: this.i }
  }

  private number(start: number, line: number, column: number): Token {
    const src = this.src
    // SQLite's hexadecimal integers, 0x1F: the parser reads them as 64-bit two's complement, as SQLite does.
    const x = src.charCodeAt(start + 1)
    if (src.charCodeAt(start) === Ch.Zero && (x === Ch.LowerX || x === Ch.UpperX) && isHexDigit(src.charCodeAt(start + 2))) {
      let k = start + 2
      while (isHexDigit(src.charCodeAt(k))) k++
      if (isWordPart(src.charCodeAt(k)) || src.charCodeAt(k) === Ch.Dot) {
        while (isWordPart(src.charCodeAt(k)) || src.charCodeAt(k) === Ch.Dot) k++
        throw this.error(`invalid number '${excerpt(src.slice(start, k))}'`, line, column)
      }
      this.i = k
      return { kind: 'integer', value: src.slice(start, k), offset: start, line, column, end: k }
    }
    let j = start
    let real = false
    while (isDigit(src.charCodeAt(j))) j++
    if (src.charCodeAt(j) === Ch.Dot) {
      real = true
      j++
      while (isDigit(src.charCodeAt(j))) j++
    }
    const e = src.charCodeAt(j)
    if (e === Ch.UpperE || e === Ch.LowerE) {
      let k = j + 1
      const sign = src.charCodeAt(k)
      if (sign === Ch.Plus || sign === Ch.Minus) k++
      if (isDigit(src.charCodeAt(k))) {
        real = true
        while (isDigit(src.charCodeAt(k))) k++
        j = k
      }
    }
    if (isWordPart(src.charCodeAt(j)) || src.charCodeAt(j) === Ch.Dot) {
      let k = j
      while (isWordPart(src.charCodeAt(k)) || src.charCodeAt(k) === Ch.Dot) k++
      throw this.error(`invalid number '${excerpt(src.slice(start, k))}'`, line, column)
    }
    this.i = j
    return { kind: real ? 'real' : 'integer', value: src.slice(start, j), offset: start, line, column, end: j }
  }
}

/** Characters that show as nothing or as a blank: control and format characters, and every space but ASCII's. */
const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Z}\p{White_Space}]$/u
/** A word processor's quotes, which it puts in for ' and ". */
const CURLY_QUOTES = new Set(['\u2018', '\u2019', '\u201C', '\u201D'])

/**
 * The message for a character that looks like another one, or like nothing, which text pasted from a web page,
 * a chat or a word processor brings (a no-break space, a zero-width space, a byte-order mark, curly quotes);
 * null for any other. `unexpected character ' '` showed no difference from a space, and one of width zero
 * showed an empty pair of quotes: the code point says which it is.
 */
function lookAlike(ch: string): string | null {
  const code = `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
  if (INVISIBLE.test(ch)) {
    return `unexpected character ${code}, ${/\p{Cc}|\p{Cf}/u.test(ch) ? 'which shows as nothing' : 'a non-ASCII space'}: words are separated by ASCII spaces, tabs and line breaks (text pasted from a web page or a document brings such characters)`
  }
  if (CURLY_QUOTES.has(ch)) return `unexpected character '${ch}' (${code}): a string is quoted with ' and a name with " (a word processor puts curly quotes in for them)`
  return null
}

/**
 * What to write instead of an operator of PostgreSQL or SQLite that this SQL does not have, typed by habit
 * (`x::int`, `name ~ 'a'`, `flags & 4`); '' for any other character.
 */
function unofferedOperator(ch: string, next: string): string {
  if (ch === ':' && next === ':') return ": PostgreSQL's x::type cast is not offered, write CAST(x AS type)"
  if (ch === '~') return ': regular expressions (~) and bitwise NOT are not offered; match with LIKE or GLOB'
  if (ch === '&' || ch === '|') return ': bitwise operators are not offered'
  // psql reads `\x` or `\g` after a statement on its line; the console only at the start of a line.
  if (ch === '\\') return ': a meta-command of the console (\\x, \\d, …) goes on a line of its own, and a statement ends with ;'
  return ''
}
