// A result as a virtualised grid: only the rows and the columns in view (plus an overscan) are in the DOM,
// so a 100,000-row result costs the page a few dozen <tr>, not 100,000, and a 2,000-column one a few dozen
// cells a row, not 2,000. Every row has the same height; a sizer as tall as all the rows gives the scroll
// container its full scroll range, and the table of the rendered window is placed at its rows' offset
// inside it. The table keeps the width of all its columns: a gap cell (class gap) on each side of the
// drawn columns, in the header and in every row, is as wide as the columns it stands for, so the header
// stays over its cells. The header sticks to the top; a wide result scrolls sideways inside its own
// container instead of widening the page.
import { el } from './dom.js'
import { escapedText, isNumeric, shownRuns, typeAt, valueText } from './wire-values.js'

/** Height of every row and of the header, in CSS pixels (console.css sets the same on .grid th/td). */
export const GRID_ROW_PX = 22
/** Height of the scroll container at most; a shorter result takes only its own height. */
export const GRID_VIEWPORT_PX = 440
/** Rows rendered above and below the visible ones, so a scroll step shows rows already there. */
export const GRID_OVERSCAN_ROWS = 20
/** Rows in the DOM at most, whatever the viewport: the bound the tests check. */
export const GRID_ROWS_RENDERED_MAX = 200
/** Columns rendered left and right of the visible ones. */
export const GRID_OVERSCAN_COLUMNS = 4
/** Columns in the DOM at most, whatever the viewport's width (gap cells aside). */
export const GRID_COLUMNS_RENDERED_MAX = 100
/** Rows sampled to size the columns: the first and last ones and an even spread between (ids grow, say). */
const COLUMN_SAMPLE_ROWS = 1500
/** Column widths, in characters of the monospace font. */
const COLUMN_CH_MIN = 4
const COLUMN_CH_MAX = 48
/** Characters of a value put in a cell; the cell's title carries up to CELL_TITLE_CHARS_MAX. */
const CELL_TEXT_CHARS_MAX = 500
const CELL_TITLE_CHARS_MAX = 10_000
/** Horizontal padding plus border of a cell, in px (console.css: padding 0 6px, border 1px). */
const CELL_EXTRA_PX = 13

/**
 * East Asian wide and fullwidth characters (Hangul, CJK, kana, fullwidth forms) and the emoji: two columns of
 * a monospace font each, as terminals count them (a rough cut of Unicode's East_Asian_Width W and F).
 */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/gu

/**
 * The width of `text` in columns of a monospace font (ch): a wide character counts two, any other code unit
 * one (an emoji's two UTF-16 units make its two columns). `.length` alone made '世界' two columns wide, so a
 * CJK value was cut with no tooltip.
 */
export function displayWidth(text) {
  let wide = 0
  for (const m of text.matchAll(WIDE)) wide += m[0].length === 1 ? 1 : 0
  return text.length + wide
}

/** Per column: its width in characters and whether its sampled values are all numbers. */
function sampleRows(count) {
  if (count <= COLUMN_SAMPLE_ROWS) return Array.from({ length: count }, (_, i) => i)
  const third = Math.floor(COLUMN_SAMPLE_ROWS / 3)
  const picked = []
  for (let i = 0; i < third; i++) picked.push(i, count - 1 - i, Math.floor((i * count) / third))
  return picked
}

function measureColumns(columns, rows, types, cellTypes) {
  const sample = sampleRows(rows.length)
  return columns.map((name, j) => {
    const type = types?.[j] ?? null
    let chars = displayWidth(escapedText(String(name)))
    let numeric = true
    let seen = 0
    for (const i of sample) {
      const v = rows[i][j]
      if (v === null || v === undefined) { chars = Math.max(chars, 4); continue }
      seen++
      if (!isNumeric(v)) numeric = false
      // Text lengths without building BLOB hex: base64 of n bytes is 4n/3 characters, hex 2n + 3.
      const shown = typeof v === 'string' ? escapedText(v) : ''
      const len = typeof v === 'string' ? (shown.length > COLUMN_CH_MAX ? shown.length : displayWidth(shown)) : typeof v === 'object' && typeof v.$blob === 'string' ? Math.ceil(v.$blob.length * 1.5) + 3 : valueText(v, typeAt(types, cellTypes, i, j)).length
      if (len > chars) chars = len
    }
    return { ch: Math.min(COLUMN_CH_MAX, Math.max(COLUMN_CH_MIN, chars + 1)), numeric: numeric && seen > 0 }
  })
}

/**
 * `text` into `parent` as it is shown, at most `max` characters of it (then '…'): the characters the terminal
 * console escapes (wire-values.js, INVISIBLE: controls, bidi and other format characters) written as it writes
 * them, each in a span of class esc (styled apart, so that `\u202e` typed in a value is not taken for it),
 * which keeps the character itself in data-raw for a copy (copyText).
 */
/**
 * The first `n` code units of `text`, or one fewer where the cut would split a surrogate pair (an emoji,
 * a character past U+FFFF): a lone half shows as a replacement box.
 */
function cutText(text, n) {
  const code = text.charCodeAt(n - 1)
  return text.slice(0, n < text.length && code >= 0xd800 && code <= 0xdbff ? n - 1 : n)
}

function appendShown(parent, text, max) {
  let left = max
  for (const run of shownRuns(text)) {
    const plain = typeof run === 'string'
    const shown = plain ? run : run.shown
    if (shown.length > left) {
      parent.append(`${plain ? cutText(run, left) : ''}…`)
      return
    }
    left -= shown.length
    if (plain) {
      parent.append(run)
    } else {
      const span = el('span', 'esc', shown)
      span.dataset.raw = run.raw
      parent.append(span)
    }
  }
}

/**
 * `text` into `parent` escaped as a cell is (appendShown), whole; with `keepLines` its line breaks stay, for
 * a text of several lines shown as such (a statement, an error's message).
 */
export function appendEscaped(parent, text, keepLines = false) {
  if (!keepLines) return appendShown(parent, text, Infinity)
  text.split('\n').forEach((line, i) => {
    if (i > 0) parent.append('\n')
    appendShown(parent, line, Infinity)
  })
}

/** A tooltip's text: escaped as the cell is, but with its own line breaks, cut after CELL_TITLE_CHARS_MAX. */
function titleText(text) {
  const cut = text.length > CELL_TITLE_CHARS_MAX ? `${cutText(text, CELL_TITLE_CHARS_MAX)}… (${text.length} characters)` : text
  return cut.split('\n').map(escapedText).join('\n')
}

/**
 * One cell: NULL as a styled marker (class null), the text 'NULL' as plain text; long values cut, in full
 * in the title. `type`: the value's (typeAt), so a REAL 1 shows as 1.0.
 */
function cell(v, column, type) {
  const td = document.createElement('td')
  if (v === null || v === undefined) {
    td.className = 'null'
    td.appendChild(el('span', 'null-mark', 'NULL'))
    return td
  }
  if (isNumeric(v)) td.className = 'num'
  const text = valueText(v, type)
  appendShown(td, text, CELL_TEXT_CHARS_MAX)
  const shown = escapedText(text)
  // (displayWidth only of a text no longer than the column: at most COLUMN_CH_MAX characters.)
  if (shown.length > column.ch || displayWidth(shown) > column.ch || text.includes('\n')) td.title = titleText(text)
  return td
}

/**
 * What a copy of a selection in the grid puts on the clipboard: the values as they are, not as shown (each
 * escape is its character again), a row a line and its cells apart by tabs, as a browser copies a table.
 */
function copyText(range) {
  const fragment = range.cloneContents()
  for (const esc of fragment.querySelectorAll('.esc')) esc.replaceWith(esc.dataset.raw ?? '')
  const cellsOf = (parent) => [...parent.children]
    .filter((c) => (c.tagName === 'TD' || c.tagName === 'TH') && !c.classList.contains('gap')).map((c) => c.textContent)
  const rows = [...fragment.querySelectorAll('tr')]
  if (rows.length > 0) return rows.map((tr) => cellsOf(tr).join('\t')).join('\n')
  // Cells of one row (the range inside a <tr>), or text inside one cell.
  const cells = cellsOf(fragment)
  return cells.length > 0 ? cells.join('\t') : fragment.textContent ?? ''
}

/** A cell (th or td) standing for the columns not drawn on one side; its <col> gives it their width. */
function gap(tag) {
  const c = document.createElement(tag)
  c.className = 'gap'
  c.setAttribute('aria-hidden', 'true')
  return c
}

/** The CSS width of columns `from` up to `to` (excluded), as their <col>s add up: `chBefore` are prefix sums of ch. */
function spanWidth(chBefore, from, to) {
  return `calc(${chBefore[to] - chBefore[from]}ch + ${CELL_EXTRA_PX * (to - from)}px)`
}

/** The first j in [0, n] with at(j) > x (at increasing). */
function firstAbove(n, at, x) {
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (at(mid) > x) hi = mid
    else lo = mid + 1
  }
  return lo
}

/**
 * The grid of `columns` × `rows` (wire values), shown as the result's `types` and `cellTypes` say when it
 * has them (a REAL's 1 as 1.0). Returns the element and `refresh()`, which renders the window again (after the grid
 * was hidden and shown, or resized).
 */
export function createGrid(columns, rows, types, cellTypes) {
  const columnTypes = Array.isArray(types) && types.length === columns.length ? types : undefined
  const valueTypes = Array.isArray(cellTypes) && cellTypes.length === columns.length ? cellTypes : undefined
  const measured = measureColumns(columns, rows, columnTypes, valueTypes)
  const scroller = el('div', 'grid-scroll')
  scroller.style.maxHeight = `${GRID_VIEWPORT_PX}px`
  // Focusable, so arrow keys, Page Up/Down, Home and End scroll the rows.
  scroller.tabIndex = 0
  const sizer = el('div', 'grid-sizer')
  sizer.style.height = `${GRID_ROW_PX * (rows.length + 1)}px`
  const table = el('table', 'rows grid')
  const chBefore = [0]
  for (const c of measured) chBefore.push(chBefore[chBefore.length - 1] + c.ch)
  table.style.width = spanWidth(chBefore, 0, columns.length)
  table.setAttribute('aria-rowcount', String(rows.length + 1))
  table.setAttribute('aria-colcount', String(columns.length))
  const colgroup = el('colgroup')
  const headRow = table.createTHead().insertRow()
  headRow.setAttribute('aria-rowindex', '1')
  const body = table.createTBody()
  sizer.appendChild(table)
  scroller.appendChild(sizer)

  /**
   * The columns to draw: those in view and GRID_OVERSCAN_COLUMNS beside them. A ch in pixels comes from the
   * table's laid-out width; before the grid is laid out (not yet in the page, or hidden) the first columns.
   */
  function columnWindow() {
    const n = columns.length
    const chPx = chBefore[n] > 0 ? (table.offsetWidth - CELL_EXTRA_PX * n) / chBefore[n] : 0
    if (!(chPx > 0) || scroller.clientWidth === 0) return { from: 0, to: Math.min(n, GRID_COLUMNS_RENDERED_MAX) }
    const leftPx = (j) => chBefore[j] * chPx + CELL_EXTRA_PX * j
    const x = scroller.scrollLeft
    // The first column whose right edge is past the left of the view, the first whose left edge is past its right.
    const firstSeen = firstAbove(n, (j) => leftPx(j + 1), x)
    const pastSeen = firstAbove(n, leftPx, x + scroller.clientWidth)
    const from = Math.max(0, firstSeen - GRID_OVERSCAN_COLUMNS)
    return { from, to: Math.min(n, from + GRID_COLUMNS_RENDERED_MAX, pastSeen + GRID_OVERSCAN_COLUMNS) }
  }

  /** The <col>s and the header of columns from..to, a gap on each side that has columns not drawn. */
  function renderColumns(from, to) {
    const cols = []
    const ths = []
    if (from > 0) {
      const col = el('col')
      col.style.width = spanWidth(chBefore, 0, from)
      cols.push(col)
      ths.push(gap('th'))
    }
    for (let j = from; j < to; j++) {
      const col = el('col')
      col.style.width = spanWidth(chBefore, j, j + 1)
      cols.push(col)
      const th = el('th', measured[j].numeric ? 'num' : '')
      appendShown(th, String(columns[j]), Infinity)
      th.title = titleText(String(columns[j]))
      if (to - from < columns.length) th.setAttribute('aria-colindex', String(j + 1))
      ths.push(th)
    }
    if (to < columns.length) {
      const col = el('col')
      col.style.width = spanWidth(chBefore, to, columns.length)
      cols.push(col)
      ths.push(gap('th'))
    }
    colgroup.replaceChildren(...cols)
    if (colgroup.parentNode === null) table.prepend(colgroup)
    headRow.replaceChildren(...ths)
  }

  let shown = { start: -1, end: -1, from: -1, to: -1 }
  function render() {
    const viewport = scroller.clientHeight > 0 ? scroller.clientHeight : GRID_VIEWPORT_PX
    const top = scroller.scrollTop
    const first = Math.floor(Math.max(0, top - GRID_ROW_PX) / GRID_ROW_PX)
    const start = Math.max(0, first - GRID_OVERSCAN_ROWS)
    const end = Math.min(rows.length, start + GRID_ROWS_RENDERED_MAX, Math.ceil((top + viewport) / GRID_ROW_PX) + GRID_OVERSCAN_ROWS)
    const { from, to } = columnWindow()
    if (start === shown.start && end === shown.end && from === shown.from && to === shown.to) return
    if (from !== shown.from || to !== shown.to) renderColumns(from, to)
    shown = { start, end, from, to }
    const trs = []
    for (let i = start; i < end; i++) {
      const tr = document.createElement('tr')
      tr.setAttribute('aria-rowindex', String(i + 2))
      const row = rows[i]
      if (from > 0) tr.appendChild(gap('td'))
      for (let j = from; j < to; j++) {
        const td = cell(row[j], measured[j], typeAt(columnTypes, valueTypes, i, j))
        if (to - from < columns.length) td.setAttribute('aria-colindex', String(j + 1))
        tr.appendChild(td)
      }
      if (to < columns.length) tr.appendChild(gap('td'))
      trs.push(tr)
    }
    body.replaceChildren(...trs)
    // The window's first row sits where row `start` belongs: below the header, start rows down.
    table.style.top = `${start * GRID_ROW_PX}px`
  }

  let queued = false
  const later = () => {
    if (queued) return
    queued = true
    requestAnimationFrame(() => { queued = false; render() })
  }
  scroller.addEventListener('scroll', later, { passive: true })
  // A selection in the grid copies the values themselves, not their escapes.
  scroller.addEventListener('copy', (event) => {
    const selection = document.getSelection()
    if (selection === null || selection.rangeCount === 0 || selection.isCollapsed || event.clipboardData === null) return
    const range = selection.getRangeAt(0)
    if (!scroller.contains(range.commonAncestorContainer)) return
    event.clipboardData.setData('text/plain', copyText(range))
    event.preventDefault()
  })
  // Laid out at last (put in the page, shown, resized): the columns in view are known, or others are.
  if (typeof ResizeObserver === 'function') new ResizeObserver(later).observe(scroller)
  render()
  return { element: scroller, refresh: () => { shown = { start: -1, end: -1, from: -1, to: -1 }; render() } }
}
