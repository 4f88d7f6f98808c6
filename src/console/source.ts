// What the console runs: texts (the REPL's input, a -e argument, a -f file) and the statements in them.
import { scanStatements } from './scan.js'

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
  return scanStatements(source.text).statements.map((s, i) => {
    const text = source.text.slice(s.start, s.end)
    return { source, index: firstIndex + i, text, offset: s.start, verb: /^[A-Za-z_][A-Za-z0-9_]*/.exec(text)?.[0].toUpperCase() ?? '' }
  })
}
