// A script → its statements, each with its tokens and its place in the script. Semicolons inside
// strings, quoted identifiers, blobs and comments do not split, because splitting runs on tokens.
import { AcheronError, invariant } from '../errors.js'
import type { Pos } from './ast.js'
import { Lexer, type Token } from './lexer.js'

/** Bounds on what one script may hold; crossing one is a SYNTAX_ERROR, not an accident. */
export const SCRIPT_CHARS_MAX = 16 * 1024 * 1024
export const STATEMENTS_MAX = 10_000

export interface RawStatement extends Pos {
  /** 0-based among the non-empty statements. */
  readonly index: number
  /** From the first token through the last one before `;` (comments around it excluded). */
  readonly text: string
  /** The statement's tokens, then one `end` token at its `;` (or at the end of the script). */
  readonly tokens: readonly Token[]
}

export function splitScript(script: string): RawStatement[] {
  if (script.length > SCRIPT_CHARS_MAX) {
    throw new AcheronError('SYNTAX_ERROR', `script too long: ${script.length} characters, at most ${SCRIPT_CHARS_MAX}`, { line: 1, column: 1 })
  }
  const lexer = new Lexer(script)
  const out: RawStatement[] = []
  let tokens: Token[] = []
  for (;;) {
    let tok: Token
    try {
      tok = lexer.next()
    } catch (e) {
      if (e instanceof AcheronError) e.statement = out.length
      throw e
    }
    const last = tok.kind === 'end'
    if (last || (tok.kind === 'punct' && tok.value === ';')) {
      if (tokens.length > 0) {
        if (out.length === STATEMENTS_MAX) {
          const first = tokens[0] as Token
          throw new AcheronError('SYNTAX_ERROR', `too many statements in one script (at most ${STATEMENTS_MAX})`,
            { line: first.line, column: first.column, statement: out.length })
        }
        const first = tokens[0] as Token
        const lastTok = tokens[tokens.length - 1] as Token
        tokens.push({ kind: 'end', value: '', offset: tok.offset, line: tok.line, column: tok.column, end: tok.offset })
        out.push({
          index: out.length, text: script.slice(first.offset, lastTok.end),
          offset: first.offset, line: first.line, column: first.column, tokens,
        })
        tokens = []
      }
      if (last) return out
      continue
    }
    tokens.push(tok)
  }
}

/**
 * Throws the SYNTAX_ERROR a server gives a script holding a lone surrogate (the lexer's, at its line and
 * column, or an earlier lexical error); a no-op for well-formed text. Lets a client refuse before sending.
 */
export function checkScriptWellFormed(script: string): void {
  if (script.isWellFormed()) return
  splitScript(script)
  invariant(false, 'the lexer accepted a script with a lone surrogate')
}
