// The output side of the console: a reply to {"op":"sql"} drawn as one box per statement — its title,
// its rows in a virtualised grid (or, for EXPLAIN CALL, the call tree with the grid one click away),
// CSV/JSON export, a DDL's notice, a call's log lines (WITH LOGS), rowsAffected and the commit position —
// and, when the script failed, the results of the statements before the failure (the reply's `results`,
// docs/protocol.md) followed by the error, with the failed call's log lines.
import { el } from './dom.js'
import { isTrace, renderTraceTree } from './explain-tree.js'
import { download, toCsv, toJson } from './export.js'
import { appendEscaped, createGrid } from './result-grid.js'
import { commitText } from './wire-values.js'

/** Characters of a failed statement's text shown under the error. */
const ERROR_STATEMENT_CHARS_MAX = 200
/** Characters of a statement's text shown as its result's title (a bulk INSERT can be megabytes). */
const TITLE_CHARS_MAX = 600

function button(className, text, title, onClick) {
  const b = el('button', `tool ${className}`, text)
  b.type = 'button'
  b.title = title
  b.addEventListener('click', onClick)
  return b
}

/** The log() lines of a CALL … WITH LOGS (`logs` on its result or its error), one per line, in order. */
function renderLogs(logs) {
  const box = el('div', 'logs')
  box.appendChild(el('div', 'logs-head', logs.length === 0 ? 'log: no lines' : `log: ${logs.length} line${logs.length === 1 ? '' : 's'}`))
  if (logs.length > 0) {
    const list = el('ol', 'log-lines')
    for (const line of logs) {
      const li = el('li', 'log-line')
      appendEscaped(li, String(line))
      list.appendChild(li)
    }
    box.appendChild(list)
  }
  return box
}

/** One statement's result R; `index` (0-based) names the export files. */
export function renderResult(r, title, index = 0) {
  const box = el('div', 'result')
  box.dataset.rows = String(r.rows.length)
  const heading = el('div', 'title')
  appendEscaped(heading, title.length > TITLE_CHARS_MAX ? `${title.slice(0, TITLE_CHARS_MAX)}… (${title.length} characters)` : title, true)
  box.appendChild(heading)
  if (r.columns.length > 0) {
    const tools = el('div', 'tools')
    const name = `acheron-result-${index + 1}`
    tools.appendChild(button('export-csv', 'CSV', 'Download these rows as CSV (RFC 4180)', () => download(`${name}.csv`, toCsv(r.columns, r.rows, r.types, r.cellTypes), 'text/csv')))
    tools.appendChild(button('export-json', 'JSON', 'Download this result as JSON (values as on the wire)', () => download(`${name}.json`, toJson(r), 'application/json')))
    const grid = createGrid(r.columns, r.rows, r.types, r.cellTypes)
    box.appendChild(tools)
    if (isTrace(r.columns)) {
      // A trace: the call tree first; the flat rows (the grid) one click away.
      const tree = renderTraceTree(r.rows)
      grid.element.hidden = true
      const toggle = button('view-toggle', 'grid', 'Show the trace as rows / as the call tree', () => {
        const showGrid = grid.element.hidden
        grid.element.hidden = !showGrid
        tree.hidden = showGrid
        toggle.textContent = showGrid ? 'tree' : 'grid'
        if (showGrid) grid.refresh()
      })
      tools.prepend(toggle)
      box.appendChild(tree)
    }
    box.appendChild(grid.element)
  }
  // What the server says beside the result: a DDL's IF [NOT] EXISTS that skipped (as psql's NOTICE), a call's logs.
  if (typeof r.notice === 'string') {
    const notice = el('div', 'notice')
    appendEscaped(notice, `NOTICE: ${r.notice}`)
    box.appendChild(notice)
  }
  if (Array.isArray(r.logs)) box.appendChild(renderLogs(r.logs))
  const meta = [`rowsAffected ${r.rowsAffected}`, commitText(r.commit)]
  if (r.columns.length > 0) meta.unshift(`${r.rows.length} row${r.rows.length === 1 ? '' : 's'}`)
  box.appendChild(el('div', 'meta', meta.filter(Boolean).join(' · ')))
  return box
}

/** Statements whose failed position EXPLAIN COMMIT re-runs (as the terminal console's printer has them). */
const EXPLAINABLE_VERBS = new Set(['CALL', 'INSERT', 'UPDATE', 'DELETE'])

/**
 * An error: its code, message, position (line, column, statement and that statement's text) and commit.
 * A transaction that ran and rolled back gets an "explain" button when `onExplain` is given: it re-runs
 * that position with EXPLAIN COMMIT (docs/sql.md). `positions: false` leaves out the line and column, for
 * a statement the page wrote itself (an upload's CREATE FUNCTION, which the user never saw).
 */
export function renderError(e, statements, onExplain, { positions = true } = {}) {
  const box = el('div', 'error')
  box.appendChild(el('span', 'code', e.code))
  // What a function or a user wrote (an abort message, a duplicate key) is escaped as a cell is, lines kept.
  const message = el('span', 'message')
  appendEscaped(message, String(e.message), true)
  box.appendChild(message)
  if (typeof e.line === 'number') {
    const at = `line ${e.line}, column ${e.column}` + (typeof e.statement === 'number' ? ` (statement ${e.statement + 1})` : '')
    if (positions) box.appendChild(el('span', 'position', at))
    const text = statements && typeof e.statement === 'number' ? statements[e.statement] : undefined
    if (text) {
      const statement = el('span', 'position')
      appendEscaped(statement, text.length > ERROR_STATEMENT_CHARS_MAX ? text.slice(0, ERROR_STATEMENT_CHARS_MAX) + '…' : text, true)
      box.appendChild(statement)
    }
  }
  if (e.commit) {
    // Only a data statement's failure is a transaction that ran and rolled back, which EXPLAIN COMMIT
    // re-runs; a query's, a DDL's or an EXPLAIN's failure has a position and nothing to re-run.
    const text = statements && typeof e.statement === 'number' ? statements[e.statement] : undefined
    const verb = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(text ?? '')?.[1]?.toUpperCase()
    const explainable = verb !== undefined && EXPLAINABLE_VERBS.has(verb)
    box.appendChild(el('span', 'commit', explainable ? `ran at ${commitText(e.commit)} and rolled back` : `failed at position ${e.commit.batch}.${e.commit.seq}`))
    if (onExplain && explainable) {
      const commit = e.commit
      box.appendChild(button('explain-commit', 'why?', `EXPLAIN COMMIT (${commit.batch}, ${commit.seq}): re-run it on the state it ran on and show its trace`, () => onExplain(commit)))
    }
  }
  if (Array.isArray(e.logs)) box.appendChild(renderLogs(e.logs))
  return box
}

/**
 * A reply drawn into `container` (emptied first): every statement's result, and after a failure the
 * results that came before it, then the error. `statements` titles them; `onExplain(commit)` runs
 * EXPLAIN COMMIT of a rolled-back transaction's position; `options` go to renderError. Returns how many
 * results were shown, whether it failed, and how long the drawing took (ms).
 */
export function showReply(container, reply, statements, onExplain, options) {
  const started = performance.now()
  const results = Array.isArray(reply.results) ? reply.results : []
  const boxes = results.map((r, i) => renderResult(r, statements[i] ?? `statement ${i + 1}`, i))
  if (!reply.ok) boxes.push(renderError(reply.error ?? { code: 'INTERNAL', message: 'a failure without an error' }, statements, onExplain, options))
  container.replaceChildren(...boxes)
  return { shown: results.length, failed: !reply.ok, renderMs: performance.now() - started }
}
