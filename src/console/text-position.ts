// Offsets ↔ 1-based line and column in a text, counted as src/sql/lexer.ts counts them (a column is a
// UTF-16 code unit from the line's start, lines end at '\n'), so positions from the server map back exactly.

export interface LineColumn { readonly line: number; readonly column: number }

export function lineColumnOf(text: string, offset: number): LineColumn {
  const at = Math.max(0, Math.min(offset, text.length))
  let line = 1
  let lineStart = 0
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < at; nl = text.indexOf('\n', nl + 1)) {
    line++
    lineStart = nl + 1
  }
  return { line, column: at - lineStart + 1 }
}

/** The offset of (line, column), clamped to the text: a position past a line's end stays on that line. */
export function offsetOf(text: string, line: number, column: number): number {
  let lineStart = 0
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', lineStart)
    if (nl < 0) return text.length
    lineStart = nl + 1
  }
  const nl = text.indexOf('\n', lineStart)
  const lineEnd = nl < 0 ? text.length : nl
  return Math.min(lineStart + Math.max(0, column - 1), lineEnd)
}

/** The text of line `line` (1-based), without its line end; '' past the end. */
export function lineText(text: string, line: number): string {
  let start = 0
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', start)
    if (nl < 0) return ''
    start = nl + 1
  }
  const nl = text.indexOf('\n', start)
  return text.slice(start, nl < 0 ? text.length : nl).replace(/\r$/, '')
}

/**
 * `original` became `edited` by replacing one contiguous span (the console's FROM WASM FILE 'path' →
 * X'hex'): an offset in `edited` → the offset in `original` it came from. Inside the replaced span, the
 * span's start.
 */
export function offsetBeforeEdit(original: string, edited: string, offset: number): number {
  if (original === edited) return offset
  let prefix = 0
  const common = Math.min(original.length, edited.length)
  while (prefix < common && original.charCodeAt(prefix) === edited.charCodeAt(prefix)) prefix++
  let suffix = 0
  while (suffix < common - prefix &&
    original.charCodeAt(original.length - 1 - suffix) === edited.charCodeAt(edited.length - 1 - suffix)) suffix++
  if (offset < prefix) return offset
  if (offset >= edited.length - suffix) return offset - (edited.length - original.length)
  return prefix
}
