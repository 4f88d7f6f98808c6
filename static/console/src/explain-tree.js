// The trace of EXPLAIN CALL or EXPLAIN COMMIT (docs/sql.md; src/txn/explain.ts) drawn as its call tree:
// one collapsible frame per call — table, key, function, arguments, result or failure, fuel — holding
// its reads and writes (before → after) and the calls it made, in order; then what the call would
// commit, or why it would roll back.
import { el } from './dom.js'
import { valueText } from './wire-values.js'

/** The columns of a trace (TRACE_COLUMNS in src/txn/types.ts): a result with exactly these is a trace. */
export const TRACE_COLUMNS = ['step', 'depth', 'event', 'function', 'table', 'key', 'detail', 'fuel']
/** The events that end a frame: its result, the failure raised in it, or a failure passing through. */
const FRAME_ENDS = new Set(['return', 'abort', 'unwind'])

export function isTrace(columns) {
  return columns.length === TRACE_COLUMNS.length && columns.every((c, i) => c === TRACE_COLUMNS[i])
}

function text(v) {
  return v === null || v === undefined ? '' : valueText(v)
}

/** A literal as a key: 'alice' quoted as SQL writes it, numbers as they are. */
function keyText(v) {
  return typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : text(v)
}

/**
 * Trace rows → frames. A `call` at depth d opens a frame inside the open frame of depth d - 1; events at
 * its depth belong to it; `return` / `abort` / `unwind` close it. Depth-0 rows (`would …`, `updated`,
 * `committed`, `truncated`) are the outcome; EXPLAIN COMMIT's `rebuilt` row, first, says where the state
 * came from.
 */
export function traceTree(rows) {
  const root = { items: [] }
  const outcome = []
  const preface = []
  const open = []
  for (const row of rows) {
    const [, depthValue, event, fn, table, key, detail, fuel] = row
    const depth = Number(text(depthValue))
    if (event === 'rebuilt') {
      preface.push({ event, table: '', key: null, detail: text(detail) })
    } else if (event === 'call') {
      const frame = { fn: text(fn), table: text(table), key, args: text(detail), depth, items: [], end: null }
      // A frame whose parent is missing (a truncated trace) hangs at the top.
      while (open.length > 0 && open[open.length - 1].depth >= depth) open.pop()
      ;(open[open.length - 1] ?? root).items.push({ frame })
      open.push(frame)
    } else if (FRAME_ENDS.has(event) && open.length > 0 && depth > 0) {
      const frame = open.pop()
      frame.end = { event, detail: text(detail), fuel: fuel === null ? null : text(fuel) }
    } else if (depth === 0 || open.length === 0) {
      outcome.push({ event, table: text(table), key, detail: text(detail) })
    } else {
      open[open.length - 1].items.push({ event, detail: text(detail) })
    }
  }
  return { frames: root.items.map((i) => i.frame), outcome, preface }
}

/** Events whose detail is `before → after`: a column set, a row a call would write or did write. */
const CHANGES = new Set(['set', 'would insert', 'would update', 'would delete', 'inserted', 'updated', 'deleted'])

/** `before → after` with each side in its own span (class before / after), as the trace writes them. */
function change(detail) {
  const span = el('span', 'detail')
  const colon = detail.indexOf(': ')
  const arrow = detail.indexOf(' → ')
  if (arrow < 0) { span.textContent = detail; return span }
  const from = colon >= 0 && colon < arrow && !detail.startsWith('(') ? colon + 2 : 0
  if (from > 0) span.appendChild(el('span', 'column', detail.slice(0, from - 2) + ': '))
  span.appendChild(el('span', 'before', detail.slice(from, arrow)))
  span.appendChild(document.createTextNode(' → '))
  span.appendChild(el('span', 'after', detail.slice(arrow + 3)))
  return span
}

function renderEvent(item) {
  const li = el('li', `event ev-${item.event.replace(/\s+/g, '-')}`)
  li.appendChild(el('span', 'event-name', item.event))
  li.appendChild(document.createTextNode(' '))
  li.appendChild(CHANGES.has(item.event) ? change(item.detail) : el('span', 'detail', item.detail))
  return li
}

function renderFrame(frame) {
  const details = el('details', 'frame')
  details.open = true
  details.dataset.depth = String(frame.depth)
  const end = frame.end
  if (end !== null && end.event !== 'return') details.classList.add(end.event === 'abort' ? 'aborted' : 'unwound')
  const summary = el('summary')
  summary.appendChild(el('span', 'fn', frame.fn))
  summary.appendChild(el('span', 'at', ` on ${frame.table} key ${keyText(frame.key)} `))
  summary.appendChild(el('span', 'args', frame.args))
  if (end !== null) {
    summary.appendChild(el('span', `outcome ${end.event}`, end.event === 'return' ? ` → ${end.detail}` : ` ✗ ${end.event === 'abort' ? end.detail : `unwound (${end.detail})`}`))
    if (end.fuel !== null) summary.appendChild(el('span', 'fuel', ` · fuel ${end.fuel}`))
  }
  details.appendChild(summary)
  const list = el('ul', 'events')
  for (const item of frame.items) {
    if (item.frame !== undefined) {
      const li = el('li', 'nested')
      li.appendChild(renderFrame(item.frame))
      list.appendChild(li)
    } else list.appendChild(renderEvent(item))
  }
  if (end !== null && end.event === 'abort') list.appendChild(renderEvent({ event: 'abort', detail: end.detail }))
  details.appendChild(list)
  return details
}

/** The tree of a trace result's rows. */
export function renderTraceTree(rows) {
  const { frames, outcome, preface } = traceTree(rows)
  const box = el('div', 'explain-tree')
  if (preface.length > 0) {
    const list = el('ul', 'preface')
    for (const p of preface) list.appendChild(renderEvent(p))
    box.appendChild(list)
  }
  for (const f of frames) box.appendChild(renderFrame(f))
  if (outcome.length > 0) {
    const list = el('ul', 'outcome')
    for (const o of outcome) {
      const li = renderEvent(o)
      if (o.table !== '') li.insertBefore(el('span', 'at', ` ${o.table} key ${keyText(o.key)}`), li.childNodes[1])
      list.appendChild(li)
    }
    box.appendChild(list)
  }
  return box
}
