// psql's variables: `\set NAME VALUE`, `\unset NAME`, and their interpolation in statements and
// meta-command arguments: `:name` (the value as it is), `:'name'` (a quoted literal) and `:"name"` (a quoted
// identifier). Not inside 'strings', "identifiers", comments, nor in a cast `x::type`; an unset name stays
// as typed, as in psql.

/** How many variables a session holds (`\set` in a loop of \i files stops here, not at memory's end). */
export const VARIABLES_MAX = 1000
/** The longest value, in characters (a value is typed or built from others; a module is no variable). */
export const VARIABLE_VALUE_CHARS_MAX = 1024 * 1024

const NAME_CHAR = /[A-Za-z0-9_]/

export function isVariableName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name)
}

export type Lookup = (name: string) => string | undefined

export class Variables {
  private readonly values = new Map<string, string>()

  get(name: string): string | undefined {
    return this.values.get(name)
  }

  /** Sets NAME; a message when it cannot be (a bad name, too many, too long), else null. */
  set(name: string, value: string): string | null {
    if (!isVariableName(name)) return `invalid variable name "${name}" (letters, digits and _)`
    if (value.length > VARIABLE_VALUE_CHARS_MAX) return `the value is longer than ${VARIABLE_VALUE_CHARS_MAX} characters`
    if (!this.values.has(name) && this.values.size >= VARIABLES_MAX) return `at most ${VARIABLES_MAX} variables (\\unset one first)`
    this.values.set(name, value)
    return null
  }

  /**
   * \gset: each NAME to its value, or unset where the value is null, in order (a name twice: the last
   * wins); all or none: a message, and nothing changed, when one cannot be set, else null.
   */
  assign(entries: readonly (readonly [string, string | null])[]): string | null {
    const added = new Set<string>()
    for (const [name, value] of entries) {
      if (!isVariableName(name)) return `invalid variable name "${name}" (letters, digits and _)`
      if (value !== null && value.length > VARIABLE_VALUE_CHARS_MAX) return `the value of ${name} is longer than ${VARIABLE_VALUE_CHARS_MAX} characters`
      if (value !== null && !this.values.has(name)) added.add(name)
    }
    if (added.size > 0 && this.values.size + added.size > VARIABLES_MAX) return `at most ${VARIABLES_MAX} variables (\\unset some first)`
    for (const [name, value] of entries) {
      if (value === null) this.values.delete(name)
      else this.values.set(name, value)
    }
    return null
  }

  /** Whether NAME was set. */
  unset(name: string): boolean {
    return this.values.delete(name)
  }

  /** The names set (Tab completes them). */
  names(): string[] {
    return [...this.values.keys()]
  }

  /** `name = 'value'` lines, sorted by name, as psql's `\set` lists them. */
  listing(): string[] {
    return [...this.values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, v]) => `${n} = ${quoteLiteral(v)}`)
  }

  readonly lookup: Lookup = (name) => this.values.get(name)
}

/** `value` as an SQL string literal (Acheron's strings know only the '' escape). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

export function quoteIdentifier(value: string): string {
  return `"${value.replace(/"/g, '""')}"`
}

/** One replaced span of an interpolated text. */
interface Edit { readonly from: number; readonly to: number; readonly length: number }

export interface Interpolated {
  readonly text: string
  /** An offset in `text` → the offset in the original it came from (inside a value: the variable's colon). */
  readonly originalOffset: (offset: number) => number
  /** Whether a reference starting at `offset` of the original was replaced by its value. */
  readonly replacedAt: (offset: number) => boolean
}

/**
 * The reference starting at `at` (a colon): `:name`, `:'name'`, `:"name"` or `:{?name}`, its end and its
 * replacement, or null when it is none (or names no variable set).
 */
export function referenceAt(text: string, at: number, lookup: Lookup): { end: number; value: string } | null {
  const q = text[at + 1]
  if (q === '{' && text[at + 2] === '?') {
    // psql's :{?name}: whether the variable is set, TRUE or FALSE (`\if :{?name}`).
    let j = at + 3
    while (j < text.length && NAME_CHAR.test(text[j] as string)) j++
    if (j === at + 3 || text[j] !== '}') return null
    return { end: j + 1, value: lookup(text.slice(at + 3, j)) === undefined ? 'FALSE' : 'TRUE' }
  }
  if (q === "'" || q === '"') {
    let j = at + 2
    while (j < text.length && NAME_CHAR.test(text[j] as string)) j++
    if (j === at + 2 || text[j] !== q) return null
    const value = lookup(text.slice(at + 2, j))
    if (value === undefined) return null
    return { end: j + 1, value: q === "'" ? quoteLiteral(value) : quoteIdentifier(value) }
  }
  let j = at + 1
  while (j < text.length && NAME_CHAR.test(text[j] as string)) j++
  if (j === at + 1) return null
  const value = lookup(text.slice(at + 1, j))
  return value === undefined ? null : { end: j, value }
}

/**
 * The SQL `text` with its variable references replaced; what is in strings, quoted identifiers and comments
 * is left alone, and so is `::` (a cast). A value is put in as it is: its own `;` ends no statement.
 */
export function interpolate(text: string, lookup: Lookup): Interpolated {
  const edits: Edit[] = []
  let out = ''
  let copied = 0
  let state: 'code' | 'string' | 'ident' | 'line-comment' | 'block-comment' = 'code'
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (state === 'string' || state === 'ident') {
      if (c === (state === 'string' ? "'" : '"')) state = 'code'
      continue
    }
    if (state === 'line-comment') {
      if (c === '\n') state = 'code'
      continue
    }
    if (state === 'block-comment') {
      if (c === '*' && text[i + 1] === '/') { state = 'code'; i++ }
      continue
    }
    if (c === '-' && text[i + 1] === '-') { state = 'line-comment'; i++; continue }
    if (c === '/' && text[i + 1] === '*') { state = 'block-comment'; i++; continue }
    if (c === "'") { state = 'string'; continue }
    if (c === '"') { state = 'ident'; continue }
    if (c !== ':') continue
    if (text[i + 1] === ':') { i++; continue }
    const ref = referenceAt(text, i, lookup)
    if (ref === null) continue
    out += text.slice(copied, i)
    edits.push({ from: i, to: ref.end, length: ref.value.length })
    out += ref.value
    copied = ref.end
    i = ref.end - 1
  }
  if (edits.length === 0) return { text, originalOffset: (o) => o, replacedAt: () => false }
  out += text.slice(copied)
  return { text: out, originalOffset: (offset) => originalOffset(edits, offset), replacedAt: (offset) => edits.some((e) => e.from === offset) }
}

function originalOffset(edits: readonly Edit[], offset: number): number {
  let shift = 0   // edited minus original, before the edit being looked at
  for (const e of edits) {
    const start = e.from + shift
    if (offset < start) break
    if (offset < start + e.length) return e.from
    shift += e.length - (e.to - e.from)
  }
  return offset - shift
}
