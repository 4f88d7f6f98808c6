// The browser console's output side in real Chromium: a 100,000-row result drawn by the virtualised grid
// (few rows in the DOM, drawn in well under a second, every row reachable by scrolling, the header
// sticking), wide results scrolling inside their panel, NULL apart from the text 'NULL', numbers
// right-aligned, long cells cut with the full value in their title, CSV and JSON export checked byte for
// byte through the browser's download, a script's results up to its failure and then the error, and
// EXPLAIN CALL drawn as a call tree (a transfer calling deposit on another key; an abort). Screenshots go
// to dist/screenshots/results-*.png for a person to look at.
import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { browserTest, launchChromium, PAGE_TIMEOUT_MS } from '../support/browser.js'
import { startServer, WsClient, type ServerProcess } from '../support/server-process.js'
import { abiModule } from '../wasm-exec/wat.js'

// Functions passed to page.$eval / waitForFunction run in the browser; this project compiles without the
// DOM library, so their few DOM names are declared loosely here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PageElement = any
declare const document: { getElementById(id: string): PageElement; querySelector(selector: string): PageElement; querySelectorAll(selector: string): PageElement; documentElement: PageElement; elementFromPoint(x: number, y: number): PageElement; createRange(): PageElement }
declare function getComputedStyle(e: PageElement): PageElement

// t.recurse writes v = 1 at its key and calls itself at key + 1, until the call depth limit (64) stops it.
const RECURSE = abiModule(`
  (data (i32.const 0) "t.recurse")
  (data (i32.const 16) "v")
  (func (export "recurse")
    (call $set_int (call $col (i32.const 16) (i32.const 1)) (i64.const 1))
    (call $call_begin (i32.const 0) (i32.const 9))
    (call $call_arg_int (i64.add (call $key_int) (i64.const 1)))
    (drop (call $call_invoke)))
`, '(memory (export "memory") 1 2)')
/** CALL_DEPTH_MAX in src/schema/function-runtime.ts. */
const CALL_DEPTH_MAX = 64

const BANK_WASM = fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))
/** say(k, n) logs "line 0" … "line n-1"; fail(k) logs "about to abort" and aborts (guest/assemblyscript/test/logs.ts). */
const LOGS_WASM = fileURLToPath(new URL('../../guest/logs.wasm', import.meta.url))
const SCREENSHOTS = fileURLToPath(new URL('../../screenshots/', import.meta.url))

/** Rows of the big table. */
const BIG_ROWS = 100_000
/** Row elements the grid may keep in the DOM (GRID_ROWS_RENDERED_MAX in static/console/src/result-grid.js). */
const DOM_ROWS_MAX = 200
/** How long drawing the 100,000-row reply may take (the page measures it: #results data-render-ms). */
const RENDER_MS_MAX = 1000
/** GRID_ROW_PX in result-grid.js: the height of every row and of the header. */
const ROW_PX = 22
/** The rows of one INSERT while loading the big table (over the WebSocket, not through the page). */
const INSERT_CHUNK_ROWS = 10_000

/** Row i of the big table: every tenth note is NULL, the next one the text 'NULL'. */
function bigNote(i: number): string | null {
  return i % 10 === 3 ? null : i % 10 === 4 ? 'NULL' : `note ${i}`
}

async function loadBig(client: WsClient): Promise<void> {
  const created = await client.sql('CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT, amount REAL) PARTITIONS 4;')
  assert.ok(created.ok, JSON.stringify(created))
  for (let from = 0; from < BIG_ROWS; from += INSERT_CHUNK_ROWS) {
    const values: string[] = []
    for (let i = from; i < from + INSERT_CHUNK_ROWS; i++) {
      const note = bigNote(i)
      values.push(`(${i}, 'name-${i}', ${note === null ? 'NULL' : `'${note}'`}, ${i}.5)`)
    }
    const r = await client.request({ op: 'sql', sql: `INSERT INTO big VALUES ${values.join(', ')};` }, 120_000)
    assert.ok(r.ok, JSON.stringify(r).slice(0, 500))
  }
}

/** Where the set-up's INSERT INTO account committed (EXPLAIN COMMIT re-runs it). */
let accountsInsertedAt: { batch: number; seq: number } | null = null

async function setup(client: WsClient): Promise<void> {
  const hex = readFileSync(BANK_WASM).toString('hex')
  for (const sql of [
    'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;',
    `CREATE FUNCTION account.transfer FROM WASM X'${hex}';`,
    `CREATE FUNCTION account.deposit FROM WASM X'${hex}';`,
    `CREATE FUNCTIONS account.(say, fail) FROM WASM X'${readFileSync(LOGS_WASM).toString('hex')}';`,
    "INSERT INTO account VALUES ('alice', 100), ('bob', 0);",
    'CREATE TABLE odd (id INTEGER PRIMARY KEY, t TEXT, b BLOB, big INTEGER) PARTITIONS 2;',
    'CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0) PARTITIONS 2;',
    `CREATE FUNCTION t.recurse FROM WASM X'${Buffer.from(RECURSE).toString('hex')}';`,
    // A comma, quotes, a line break, the empty string, NULL, the text 'NULL', a long text; a BLOB; an integer beyond 2^53.
    `INSERT INTO odd VALUES (1, 'a,b', X'00ff', 9007199254740993), (2, 'say "hi"', NULL, -1), (3, 'two
lines', NULL, 0), (4, '', NULL, 0), (5, NULL, NULL, NULL), (6, 'NULL', NULL, 0), (7, '${'x'.repeat(300)}', NULL, 0);`,
  ]) {
    const r = await client.sql(sql)
    assert.ok(r.ok, `${sql.slice(0, 80)}: ${JSON.stringify(r).slice(0, 300)}`)
    if (sql.startsWith("INSERT INTO account")) accountsInsertedAt = (r as unknown as { results: { commit: { batch: number; seq: number } }[] }).results[0]!.commit
  }
  await loadBig(client)
}

let server: ServerProcess | null = null
let browser: Browser | null = null
let page: Page | null = null
const problems: string[] = []

test.before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true })
  server = await startServer({ args: ['--partitions', '4', '--workers', '1'] })
  const client = await WsClient.connect(server.url)
  try {
    await setup(client)
  } finally {
    client.terminate()
  }
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`) })
  const response = await page.goto(`http://${server.host}:${server.port}/`)
  assert.ok(response !== null && response.ok())
  await page.waitForFunction(() => (document.getElementById('conn-status') as PageElement).dataset.state === 'open')
})

test.after(async () => {
  await browser?.close()
  await server?.stop()
})

function p(): Page {
  assert.ok(page !== null, 'the page is open')
  return page!
}

async function runSql(sql: string): Promise<void> {
  const page = p()
  const before = Number(await page.$eval('#results', (e) => (e as PageElement).dataset.runs ?? '0'))
  await page.click('#sql')
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(sql)
  await page.keyboard.press('Control+Enter')
  await page.waitForFunction((n) => Number((document.getElementById('results') as PageElement).dataset.runs ?? '0') > n, before)
}

async function shot(name: string, fullPage = true): Promise<void> {
  await p().screenshot({ path: `${SCREENSHOTS}results-${name}.png`, fullPage })
}

/** Row elements in the whole results panel (every grid). */
async function domRows(): Promise<number> {
  return p().$$eval('#results tr', (trs) => trs.length)
}

/** The text of the cells of the row shown just below the sticky header, found by hit-testing the page. */
async function rowUnderHeader(): Promise<string> {
  return p().$eval('#results .grid-scroll', (s) => {
    const box = (s as PageElement).getBoundingClientRect()
    const td = document.elementFromPoint(box.left + 8, box.top + 22 + 11)
    return td?.closest('tr')?.querySelector('td')?.textContent ?? `nothing at that point (${td?.tagName})`
  })
}

browserTest('100,000 rows: drawn in well under a second with a bounded DOM; scrolling reaches every row, the header sticks', async () => {
  const page = p()
  // Every task that holds the page's main thread over 50 ms (parsing the reply included), from now on.
  await page.evaluate(() => {
    const w = globalThis as PageElement
    w.longTasksMs = []
    new w.PerformanceObserver((list: PageElement) => { for (const e of list.getEntries()) w.longTasksMs.push(e.duration) }).observe({ type: 'longtask' })
  })
  const started = Date.now()
  await runSql('SELECT id, name, note, amount FROM big ORDER BY id;')
  const wallMs = Date.now() - started
  // Two frames later the grid is laid out and painted; no task on the way froze the page.
  await page.evaluate(() => new Promise((resolve) => (globalThis as PageElement).requestAnimationFrame(() => (globalThis as PageElement).requestAnimationFrame(resolve))))
  const longTasksMs = await page.evaluate(() => (globalThis as PageElement).longTasksMs as number[])
  assert.ok(longTasksMs.every((ms) => ms < RENDER_MS_MAX), `no task froze the page for ${RENDER_MS_MAX} ms or more: ${JSON.stringify(longTasksMs)}`)
  const meta = await page.$eval('#results .result .meta', (m) => m.textContent)
  assert.match(meta, new RegExp(`^${BIG_ROWS} rows · rowsAffected 0 · commit \\d+\\.\\d+$`))
  const renderMs = Number(await page.$eval('#results', (e) => (e as PageElement).dataset.renderMs))
  assert.ok(renderMs < RENDER_MS_MAX, `drawn in ${renderMs} ms (bound ${RENDER_MS_MAX}); run to drawn ${wallMs} ms`)
  assert.match(await page.$eval('#run-status', (s) => s.textContent), /^1 statement in [\d.]+ ms · drawn in [\d.]+ ms$/)
  const rowsAtTop = await domRows()
  assert.ok(rowsAtTop > 10 && rowsAtTop <= DOM_ROWS_MAX, `${rowsAtTop} <tr> in the DOM (bound ${DOM_ROWS_MAX})`)
  assert.is(await page.$eval('#results .result', (b) => (b as PageElement).dataset.rows), String(BIG_ROWS))
  assert.is(await page.$eval('#results table.grid', (t) => t.getAttribute('aria-rowcount')), String(BIG_ROWS + 1))
  assert.is(await rowUnderHeader(), '0')
  await shot('100k-top')

  // The middle: the row under the header is the one the scroll offset names (every row ROW_PX high).
  await page.$eval('#results .grid-scroll', (s, px) => { (s as PageElement).scrollTop = px }, 50_000 * ROW_PX)
  await page.waitForFunction(() => document.querySelector('#results tr[aria-rowindex="50002"]') !== null)
  assert.is(await rowUnderHeader(), '50000')
  // The header stuck to the top of the panel.
  const headerGap = await page.$eval('#results .grid-scroll', (s) => (s as PageElement).querySelector('th').getBoundingClientRect().top - (s as PageElement).getBoundingClientRect().top)
  assert.ok(Math.abs(headerGap) <= 1, `the header sits at the top of the scrolled panel (${headerGap} px off)`)

  // The end: the last row is drawn, fully inside the panel and not under the header.
  await page.$eval('#results .grid-scroll', (s) => { (s as PageElement).scrollTop = (s as PageElement).scrollHeight })
  await page.waitForFunction((n) => document.querySelector(`#results tr[aria-rowindex="${n + 1}"]`) !== null, BIG_ROWS)
  const last = await page.$eval('#results .grid-scroll', (s, n) => {
    const panel = (s as PageElement).getBoundingClientRect()
    const tr = (s as PageElement).querySelector(`tr[aria-rowindex="${n + 1}"]`)
    const row = tr.getBoundingClientRect()
    const header = (s as PageElement).querySelector('th').getBoundingClientRect()
    return { cells: [...tr.querySelectorAll('td')].map((td: PageElement) => td.textContent), cut: [...tr.querySelectorAll('td')].filter((td: PageElement) => td.scrollWidth > td.clientWidth).map((td: PageElement) => td.textContent), inside: row.top >= header.bottom - 1 && row.bottom <= panel.bottom + 1, top: row.top, headerBottom: header.bottom, bottom: row.bottom, panelBottom: panel.bottom, scrollTop: (s as PageElement).scrollTop, scrollHeight: (s as PageElement).scrollHeight, clientHeight: (s as PageElement).clientHeight, offsetHeight: (s as PageElement).offsetHeight, table: (s as PageElement).querySelector('table').style.top, tableHeight: (s as PageElement).querySelector('table').offsetHeight, sizer: (s as PageElement).firstChild.offsetHeight }
  }, BIG_ROWS)
  assert.equal(last.cells, [String(BIG_ROWS - 1), `name-${BIG_ROWS - 1}`, `note ${BIG_ROWS - 1}`, `${BIG_ROWS - 1}.5`])
  assert.ok(last.inside, `the last row is visible in the panel: ${JSON.stringify(last)}`)
  assert.equal(last.cut, [], 'the columns are sized for the last rows too (sampled across the result), none of these cells is cut')
  // Every drawn row (NULL markers included) is exactly ROW_PX high: the grid places rows by that height.
  const heights = await page.$$eval('#results tr', (trs) => [...new Set(trs.map((tr) => (tr as PageElement).getBoundingClientRect().height))])
  assert.equal(heights, [ROW_PX])
  const rowsAtEnd = await domRows()
  assert.ok(rowsAtEnd <= DOM_ROWS_MAX, `${rowsAtEnd} <tr> in the DOM at the end (bound ${DOM_ROWS_MAX})`)
  assert.ok(await page.$('#results tr[aria-rowindex="2"]') === null, 'the first rows left the DOM')
  await shot('100k-end')
})

browserTest('NULL is a marker apart from the text NULL; numbers are right-aligned; text is not', async () => {
  const page = p()
  await runSql('SELECT id, name, note, amount FROM big ORDER BY id LIMIT 8;')
  const cells = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => [...(tr as PageElement).querySelectorAll('td')].map((td: PageElement) => ({
    text: td.textContent, className: td.className, marker: td.querySelector('.null-mark') !== null, align: getComputedStyle(td).textAlign,
    markerStyle: td.querySelector('.null-mark') === null ? null : getComputedStyle(td.querySelector('.null-mark')).fontStyle,
  }))))
  assert.is(cells.length, 8)
  const nullCell = cells[3]![2]!
  const textNull = cells[4]![2]!
  assert.equal({ text: nullCell.text, className: nullCell.className, marker: nullCell.marker, style: nullCell.markerStyle }, { text: 'NULL', className: 'null', marker: true, style: 'italic' })
  assert.equal({ text: textNull.text, className: textNull.className, marker: textNull.marker }, { text: 'NULL', className: '', marker: false })
  assert.is.not(textNull.align, 'right')
  assert.equal(cells.map((row) => row[0]!.align), Array(8).fill('right'), 'the INTEGER column')
  assert.equal(cells.map((row) => row[3]!.align), Array(8).fill('right'), 'the REAL column')
  assert.equal(cells.map((row) => row[1]!.align === 'right'), Array(8).fill(false), 'the TEXT column')
  assert.is(await page.$eval('#results th:nth-child(1)', (th) => getComputedStyle(th).textAlign), 'right', 'a numeric column\'s header')
  await shot('null-and-numbers')
})

browserTest('a REAL column\'s whole numbers show as 1.0 (the reply\'s types), INTEGER as 1, in the grid and both exports', async () => {
  const page = p()
  await runSql('SELECT id, amount - 0.5 AS whole, amount FROM big ORDER BY id LIMIT 3;')
  const cells = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => [...(tr as PageElement).querySelectorAll('td')].map((td: PageElement) => td.textContent)))
  assert.equal(cells, [['0', '0.0', '0.5'], ['1', '1.0', '1.5'], ['2', '2.0', '2.5']])
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-csv')])
  assert.is(readFileSync((await csv.path())!, 'utf8'), 'id,whole,amount\r\n0,0.0,0.5\r\n1,1.0,1.5\r\n2,2.0,2.5\r\n')
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-json')])
  const text = readFileSync((await json.path())!, 'utf8')
  assert.ok(text.includes('[1,1.0,1.5]'), text)
  assert.equal((JSON.parse(text) as { types: unknown }).types, ['INTEGER', 'REAL', 'REAL'])
})

browserTest('in a column of several types, a REAL whole number shows as 1.0 (the reply\'s cellTypes), in the grid and both exports', async () => {
  const page = p()
  await runSql("SELECT CASE WHEN id = 0 THEN name ELSE amount - 0.5 END AS mixed, CASE WHEN id = 1 THEN 7 ELSE amount - 0.5 END AS nums FROM big ORDER BY id LIMIT 3;")
  const cells = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => [...(tr as PageElement).querySelectorAll('td')].map((td: PageElement) => td.textContent)))
  assert.equal(cells, [['name-0', '0.0'], ['1.0', '7'], ['2.0', '2.0']])
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-csv')])
  assert.is(readFileSync((await csv.path())!, 'utf8'), 'mixed,nums\r\nname-0,0.0\r\n1.0,7\r\n2.0,2.0\r\n')
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-json')])
  const text = readFileSync((await json.path())!, 'utf8')
  assert.ok(text.includes('["name-0",0.0]') && text.includes('[1.0,7]') && text.includes('[2.0,2.0]'), text)
  assert.equal((JSON.parse(text) as { cellTypes: unknown }).cellTypes, [['TEXT', 'REAL', 'REAL'], ['REAL', 'INTEGER', 'REAL']])
})

browserTest('a wide result scrolls inside its panel, never the page; a long cell is cut with its full value in the title', async () => {
  const page = p()
  const extra = Array.from({ length: 24 }, (_, i) => `name || ' and ' || note AS wide_column_${i}`).join(', ')
  await runSql(`SELECT id, ${extra} FROM big ORDER BY id LIMIT 40;`)
  const widths = await page.$eval('#results .grid-scroll', (s) => ({
    panel: (s as PageElement).clientWidth, content: (s as PageElement).scrollWidth,
    page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth,
  }))
  assert.ok(widths.content > widths.panel * 2, `the grid is wider than its panel: ${JSON.stringify(widths)}`)
  assert.ok(widths.page <= widths.viewport, `the page does not scroll sideways: ${JSON.stringify(widths)}`)
  await page.$eval('#results .grid-scroll', (s) => { (s as PageElement).scrollLeft = 10_000 })
  assert.ok(await page.$eval('#results .grid-scroll', (s) => (s as PageElement).scrollLeft) > 0, 'it scrolls sideways')
  await shot('wide')

  await runSql('SELECT id, t FROM odd WHERE id = 7;')
  const long = await page.$eval('#results tbody td:nth-child(2)', (td) => ({ title: td.title, text: td.textContent, cut: td.scrollWidth > td.clientWidth }))
  assert.is(long.title, 'x'.repeat(300))
  assert.ok(long.cut, 'the cell is narrower than its text (cut with an ellipsis)')

  // A cut that falls inside an emoji (a surrogate pair) keeps it whole or leaves it out, never half of it:
  // the 500 characters a cell shows, the 10,000 its title does.
  await runSql(`SELECT '${'x'.repeat(499)}😀${'y'.repeat(50)}' AS cell, '${'x'.repeat(9_999)}😀${'y'.repeat(50)}' AS title;`)
  const cuts = await page.$$eval('#results tbody td', (tds) => tds.map((td) => ({ text: td.textContent as string, title: (td as PageElement).title as string })))
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
  assert.is(cuts[0]?.text, `${'x'.repeat(499)}…`)
  assert.is(cuts[1]?.title, `${'x'.repeat(9_999)}… (10051 characters)`)
  for (const c of cuts) assert.not.match(`${c.text}${c.title}`, lone)
})

browserTest('2,000 columns: only the columns in view (and a few beside them) are in the page; scrolling right draws the later ones under their names', async () => {
  const page = p()
  const COLUMNS = 2000
  const ROWS = 3
  const select = (r: number): string => `SELECT ${Array.from({ length: COLUMNS }, (_, j) => `${r * 10_000 + j} AS c${j}`).join(', ')}`
  await runSql(`${Array.from({ length: ROWS }, (_, r) => select(r)).join(' UNION ALL ')};`)
  await page.waitForFunction(() => document.querySelector('#results table.grid tbody td') !== null)
  const counts = async (): Promise<{ th: number; td: number; rows: number; colcount: string | null }> => page.$eval('#results table.grid', (t) => ({
    th: t.querySelectorAll('thead th:not(.gap)').length, td: t.querySelectorAll('tbody td:not(.gap)').length,
    rows: t.querySelectorAll('tbody tr').length, colcount: t.getAttribute('aria-colcount'),
  }))
  const first = await counts()
  assert.is(first.rows, ROWS)
  assert.is(first.colcount, String(COLUMNS))
  assert.ok(first.th > 0 && first.th < 200, `header cells in the page: ${JSON.stringify(first)}`)
  assert.is(first.td, first.th * ROWS, JSON.stringify(first))
  // The scroll range is the whole width: every column's, as if all were drawn.
  const range = await page.$eval('#results .grid-scroll', (s) => ({ content: (s as PageElement).scrollWidth, panel: (s as PageElement).clientWidth }))
  assert.ok(range.content > range.panel * 50, JSON.stringify(range))

  /** The header and first-row cells at the grid's left and right edges, found by hit-testing the page. */
  const atEdges = async (): Promise<{ head: string[]; body: string[]; aligned: boolean }> => page.$eval('#results .grid-scroll', (s) => {
    const box = (s as PageElement).getBoundingClientRect()
    const at = (x: number, y: number): PageElement => document.elementFromPoint(x, y)
    const xs = [box.left + 20, box.left + (s as PageElement).clientWidth - 20]
    const heads = xs.map((x) => at(x, box.top + 11))
    const cells = xs.map((x) => at(x, box.top + 22 + 11))
    return {
      head: heads.map((e) => e?.textContent ?? ''), body: cells.map((e) => e?.textContent ?? ''),
      // The header cell and the cell under it share their left and right edges.
      aligned: heads.every((h, i) => Math.abs(h.getBoundingClientRect().left - cells[i].getBoundingClientRect().left) < 1 && Math.abs(h.getBoundingClientRect().right - cells[i].getBoundingClientRect().right) < 1),
    }
  })
  const left = await atEdges()
  assert.is(left.head[0], 'c0')
  assert.is(left.body[0], '0')
  assert.ok(left.aligned, JSON.stringify(left))
  // Far to the right: the columns there are drawn, under their own names, and the DOM stays as small.
  const frame = (): Promise<unknown> => page.evaluate(() => new Promise((resolve) => (globalThis as PageElement).requestAnimationFrame(() => (globalThis as PageElement).requestAnimationFrame(resolve))))
  await page.$eval('#results .grid-scroll', (s) => { (s as PageElement).scrollLeft = (s as PageElement).scrollWidth / 2 })
  await frame()
  const middle = await atEdges()
  const n = Number(middle.head[0]?.slice(1))
  assert.ok(n > 900 && n < 1100, JSON.stringify(middle))
  assert.equal(middle.body[0], String(n), JSON.stringify(middle))
  assert.ok(middle.aligned, JSON.stringify(middle))
  await page.$eval('#results .grid-scroll', (s) => { (s as PageElement).scrollLeft = (s as PageElement).scrollWidth })
  await frame()
  const right = await atEdges()
  assert.is(right.head[1], `c${COLUMNS - 1}`, JSON.stringify(right))
  assert.is(right.body[1], String(COLUMNS - 1), JSON.stringify(right))
  assert.ok(right.aligned, JSON.stringify(right))
  const after = await counts()
  assert.ok(after.th < 200 && after.td === after.th * ROWS, JSON.stringify(after))
  // The last row, scrolled down to, has the same columns.
  await page.$eval('#results .grid-scroll', (s) => { (s as PageElement).scrollTop = (s as PageElement).scrollHeight })
  await frame()
  assert.ok(await page.$eval('#results table.grid tbody', (b, last) => [...b.querySelectorAll('td')].some((td: PageElement) => td.textContent === last), String(20_000 + COLUMNS - 1)))
  await shot('many-columns', false)
  assert.equal(problems, [])
})

browserTest('CJK text counts two columns a character: its column is wide enough, and a value cut by the width has its tooltip', async () => {
  const page = p()
  // 20 CJK characters take 40 columns of a monospace font; 30 of them (60 columns) are more than a column's 48.
  const twenty = '世界'.repeat(10)
  const thirty = '漢字テ'.repeat(10)
  await runSql(`SELECT '${twenty}' AS cjk, '${thirty}' AS longer, 'ascii' AS a;`)
  const grid = await page.$eval('#results table.grid', (t) => ({
    widths: [...t.querySelectorAll('col')].map((c: PageElement) => c.style.width),
    titles: [...t.querySelectorAll('tbody td')].map((td: PageElement) => td.title),
  }))
  assert.equal(grid.widths, ['calc(41ch + 13px)', 'calc(48ch + 13px)', 'calc(6ch + 13px)'], JSON.stringify(grid))
  assert.equal(grid.titles, ['', thirty, ''], JSON.stringify(grid))
})

browserTest('bidi, format and control characters in a cell are shown escaped as the terminal console writes them, set apart; a copy and the export keep the values', async () => {
  const page = p()
  // U+202E would show txt.exe as exe.txt; U+2066 isolates, U+200B hides, U+0085 is a C1 control; 'two\nlines' is odd's row 3.
  await runSql("SELECT t, '\u202etxt.exe' AS rto, 'a\u2066b\u200bc\u0085d' AS f, 'txt.exe' AS plain FROM odd WHERE id = 3;")
  const grid = await page.$eval('#results table.grid', (t) => {
    const tds = [...t.querySelectorAll('tbody td')] as PageElement[]
    const rtl = tds[1]
    const textNode = [...rtl.childNodes].find((n: PageElement) => n.nodeType === 3 && n.textContent.includes('txt.exe'))
    const at = (from: number): number => {
      const r = document.createRange()
      r.setStart(textNode, from)
      r.setEnd(textNode, from + 3)
      return r.getBoundingClientRect().left
    }
    const offset = textNode === undefined ? -1 : textNode.textContent.indexOf('txt.exe')
    const esc = rtl.querySelector('.esc')
    return {
      head: [...t.querySelectorAll('thead th')].map((th: PageElement) => th.textContent),
      cells: tds.map((td) => td.textContent),
      escapes: tds.map((td) => [...td.querySelectorAll('.esc')].map((e: PageElement) => e.textContent)),
      // "txt" left of "exe" on the screen: nothing reorders the cell.
      inOrder: offset >= 0 && at(offset) < at(offset + 4),
      setApart: esc !== null && getComputedStyle(esc).backgroundColor !== getComputedStyle(rtl).backgroundColor,
      isolated: tds.map((td) => getComputedStyle(td).unicodeBidi),
      // The plain cell right of the escaped ones, none of them drawn over it.
      plainRightOf: tds[3].getBoundingClientRect().left >= tds[2].getBoundingClientRect().right - 1,
    }
  })
  assert.equal(grid.head, ['t', 'rto', 'f', 'plain'], JSON.stringify(grid))
  assert.equal(grid.cells, ['two\\nlines', '\\u202etxt.exe', 'a\\u2066b\\u200bc\\x85d', 'txt.exe'], JSON.stringify(grid))
  assert.equal(grid.escapes, [['\\n'], ['\\u202e'], ['\\u2066', '\\u200b', '\\x85'], []], JSON.stringify(grid))
  assert.ok(grid.inOrder && grid.setApart && grid.plainRightOf, JSON.stringify(grid))
  assert.equal(grid.isolated, Array(4).fill('isolate'), JSON.stringify(grid))
  // A copy of the row, and of one cell, has the characters themselves.
  const copied = await page.$eval('#results .grid-scroll', (scroller) => {
    const tds = [...(scroller as PageElement).querySelectorAll('tbody td')] as PageElement[]
    const copy = (select: (r: PageElement) => void): string => {
      const r = document.createRange()
      select(r)
      const selection = (globalThis as PageElement).getSelection()
      selection.removeAllRanges()
      selection.addRange(r)
      const data = new (globalThis as PageElement).DataTransfer()
      tds[0].dispatchEvent(new (globalThis as PageElement).ClipboardEvent('copy', { clipboardData: data, bubbles: true, cancelable: true }))
      return data.getData('text/plain') as string
    }
    return {
      row: copy((r) => { r.setStart(tds[0], 0); r.setEnd(tds[3], tds[3].childNodes.length) }),
      one: copy((r) => r.selectNodeContents(tds[2])),
    }
  })
  assert.equal(copied, { row: 'two\nlines\t\u202etxt.exe\ta\u2066b\u200bc\u0085d\ttxt.exe', one: 'a\u2066b\u200bc\u0085d' })
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-json')])
  const parsed = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { columns: string[]; rows: unknown[][] }
  assert.equal(parsed.columns, ['t', 'rto', 'f', 'plain'])
  assert.equal(parsed.rows, [['two\nlines', '\u202etxt.exe', 'a\u2066b\u200bc\u0085d', 'txt.exe']])
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-csv')])
  assert.is(readFileSync((await csv.path())!, 'utf8'), 't,rto,f,plain\r\n"two\nlines",\u202etxt.exe,a\u2066b\u200bc\u0085d,txt.exe\r\n')
  await shot('escaped-cells', false)
  assert.equal(problems, [])
})

browserTest('a result\'s title, an error\'s message and its statement show bidi and format characters escaped, as the cells do', async () => {
  const page = p()
  await runSql("INSERT INTO account VALUES ('\u202edave', 1), ('\u202edave', 2);")
  const shown = await page.$eval('#results', (r) => ({
    message: (r as PageElement).querySelector('.error .message')?.textContent ?? '',
    statement: [...(r as PageElement).querySelectorAll('.error .position')].map((s: PageElement) => s.textContent).join(' | '),
    escapes: [...(r as PageElement).querySelectorAll('.error .esc')].map((s: PageElement) => s.textContent),
  }))
  assert.match(shown.message, /\\u202edave/, JSON.stringify(shown))
  assert.match(shown.statement, /VALUES \('\\u202edave', 1\)/, JSON.stringify(shown))
  assert.ok(shown.escapes.length >= 2, JSON.stringify(shown))
  await runSql("SELECT '\u202etxt.exe' AS a;")
  assert.is(await page.$eval('#results .result .title', (t) => (t as PageElement).textContent), "SELECT '\\u202etxt.exe' AS a")
  assert.not.match(await page.$eval('#results', (r) => (r as PageElement).textContent), /\u202e/)
  assert.equal(problems, [])
})

browserTest('CSV (RFC 4180) and JSON export: the downloaded files hold exactly the result', async () => {
  const page = p()
  await runSql('SELECT id, t, b, big FROM odd WHERE id < 7 ORDER BY id;')
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-csv')])
  assert.is(csv.suggestedFilename(), 'acheron-result-1.csv')
  const csvText = readFileSync((await csv.path())!, 'utf8')
  assert.is(csvText, [
    'id,t,b,big',
    `1,"a,b",X'00ff',9007199254740993`,
    '2,"say ""hi""",,-1',
    '3,"two\nlines",,0',
    '4,"",,0',
    '5,,,',
    '6,NULL,,0',
    '',
  ].join('\r\n'))

  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-json')])
  assert.is(json.suggestedFilename(), 'acheron-result-1.json')
  const parsed = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { columns: string[]; rows: unknown[][]; rowsAffected: number; commit: { batch: number; seq: number } }
  assert.equal(parsed.columns, ['id', 't', 'b', 'big'])
  assert.equal(parsed.rows, [
    [1, 'a,b', { $blob: 'AP8=' }, { $int: '9007199254740993' }],
    [2, 'say "hi"', null, -1],
    [3, 'two\nlines', null, 0],
    [4, '', null, 0],
    [5, null, null, null],
    [6, 'NULL', null, 0],
  ])
  assert.is(parsed.rowsAffected, 0)
  assert.match(await page.$eval('#results .meta', (m) => m.textContent), new RegExp(`commit ${parsed.commit.batch}\\.${parsed.commit.seq}$`))

  // Every row is exported, not only those drawn: the 100,000-row result as CSV.
  await runSql('SELECT id, note FROM big ORDER BY id;')
  const [big] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-csv')])
  const lines = readFileSync((await big.path())!, 'utf8').split('\r\n')
  assert.is(lines.length, BIG_ROWS + 2, 'header, every row, and the empty string after the last CRLF')
  assert.equal([lines[1], lines[4], lines[5], lines[BIG_ROWS]], ['0,note 0', '3,', '4,NULL', `${BIG_ROWS - 1},note ${BIG_ROWS - 1}`])
})

browserTest('an error whose statement is one long word (a BLOB literal) wraps in its box: the page never gets wider', async () => {
  const page = p()
  // Row 1 of odd exists: DUPLICATE_KEY, the statement's text (cut at 200 characters) shown under the error.
  await runSql(`INSERT INTO odd VALUES (1, 'again', X'${'ab'.repeat(2000)}', 0);`)
  assert.is(await page.$eval('#results .error .code', (c) => c.textContent), 'DUPLICATE_KEY')
  const widths = await page.$eval('#results .error', (e) => ({
    box: (e as PageElement).clientWidth, content: (e as PageElement).scrollWidth,
    page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth,
  }))
  assert.ok(widths.content <= widths.box, `the statement wraps inside the error box: ${JSON.stringify(widths)}`)
  assert.ok(widths.page <= widths.viewport, `the page does not scroll sideways: ${JSON.stringify(widths)}`)
})

browserTest('a script whose third statement fails: the two results before it, then the error with its position', async () => {
  const page = p()
  await runSql([
    "INSERT INTO account VALUES ('carol', 5);",
    "SELECT id, balance FROM account WHERE id = 'carol';",
    "CALL account.transfer('carol', 'alice', 1000);",
    'SELECT 1;',
  ].join('\n'))
  const shown = await page.$$eval('#results > *', (boxes) => boxes.map((b) => ({
    kind: (b as PageElement).className,
    title: b.querySelector('.title')?.textContent ?? '',
    rows: [...b.querySelectorAll('tbody tr')].map((tr: PageElement) => [...tr.querySelectorAll('td')].map((td: PageElement) => td.textContent)),
    meta: b.querySelector('.meta')?.textContent ?? '',
    code: b.querySelector('.code')?.textContent ?? '',
    message: b.querySelector('.message')?.textContent ?? '',
    position: [...b.querySelectorAll('.position')].map((s: PageElement) => s.textContent).join(' | '),
    commit: b.querySelector('.commit')?.textContent ?? '',
  })))
  assert.equal(shown.map((s) => s.kind), ['result', 'result', 'error'], JSON.stringify(shown))
  assert.is(shown[0]!.title, "INSERT INTO account VALUES ('carol', 5)")
  assert.match(shown[0]!.meta, /^rowsAffected 1 · commit \d+\.\d+$/)
  assert.equal(shown[1]!.rows, [['carol', '5']])
  assert.is(shown[2]!.code, 'TXN_ABORTED')
  assert.match(shown[2]!.message, /insufficient funds/)
  assert.is(shown[2]!.position, "line 3, column 6 (statement 3) | CALL account.transfer('carol', 'alice', 1000)")
  assert.match(shown[2]!.commit, /^ran at commit \d+\.\d+ and rolled back$/)
  assert.match(await page.$eval('#run-status', (s) => s.textContent), /^2 statements ran, then failed after/)
  // The statistics panel polls once a second: the screenshot waits for its table and its aborts plot to
  // count the abort, which they showed as none beside the TXN_ABORTED when it was taken at once.
  await page.waitForFunction(() => [...document.querySelectorAll('#stats tr')].some((tr) =>
    (tr as PageElement).querySelector('.metric')?.textContent === 'aborted_txn_aborted_total' && Number((tr as PageElement).querySelectorAll('td')[1]?.textContent) >= 1))
  await page.waitForFunction(() => !/no aborts in view/.test(document.querySelector('#plot-aborts + .legend')?.textContent ?? ''))
  await shot('script-failure')

  // What ran before the failure committed; the statement after it did not run.
  await runSql("SELECT id, balance FROM account ORDER BY id;")
  assert.equal(await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => [...(tr as PageElement).querySelectorAll('td')].map((td: PageElement) => td.textContent))),
    [['alice', '100'], ['bob', '0'], ['carol', '5']])
})

interface Frame { fn: string; at: string; args: string; outcome: string; fuel: string; className: string; events: string[]; nested: Frame[] }

async function tree(): Promise<{ frames: Frame[]; outcome: string[] }> {
  return p().$eval('#results .explain-tree', (t) => {
    const frame = (d: PageElement): Frame => {
      const s = d.querySelector(':scope > summary')
      const list = d.querySelector(':scope > ul.events')
      return {
        fn: s.querySelector('.fn')?.textContent ?? '',
        at: s.querySelector('.at')?.textContent ?? '',
        args: s.querySelector('.args')?.textContent ?? '',
        outcome: s.querySelector('.outcome')?.textContent ?? '',
        fuel: s.querySelector('.fuel')?.textContent ?? '',
        className: d.className,
        events: [...list.querySelectorAll(':scope > li.event')].map((li: PageElement) => li.textContent),
        nested: [...list.querySelectorAll(':scope > li.nested > details')].map(frame),
      }
    }
    return {
      frames: [...(t as PageElement).querySelectorAll(':scope > details.frame')].map(frame),
      outcome: [...(t as PageElement).querySelectorAll(':scope > ul.outcome > li')].map((li: PageElement) => li.textContent),
    }
  })
}

browserTest('EXPLAIN CALL of a transfer: the call tree with the nested deposit on the other key, writes before → after, fuel, the verdict; the flat grid one click away', async () => {
  const page = p()
  await runSql("EXPLAIN CALL account.transfer('alice', 'bob', 30);")
  const t = await tree()
  assert.is(t.frames.length, 1, JSON.stringify(t))
  const top = t.frames[0]!
  assert.equal([top.fn, top.at, top.args, top.outcome], ['account.transfer', " on account key 'alice' ", "('alice', 'bob', 30)", ' → 70'])
  assert.match(top.fuel, /^ · fuel \d+$/)
  assert.ok(top.events.includes('get balance = 100'), JSON.stringify(top.events))
  assert.ok(top.events.includes('set balance: 100 → 70'), JSON.stringify(top.events))
  assert.is(top.nested.length, 1, JSON.stringify(top))
  const deposit = top.nested[0]!
  assert.equal([deposit.fn, deposit.at, deposit.args], ['account.deposit', " on account key 'bob' ", "('bob', 30)"])
  assert.ok(deposit.events.includes('set balance: 0 → 30'), JSON.stringify(deposit.events))
  assert.ok(Number(/\d+/.exec(top.fuel)?.[0]) > Number(/\d+/.exec(deposit.fuel)?.[0]), 'a frame\'s fuel includes its nested calls')
  assert.equal(t.outcome.map((o) => o.replace(/ \(.*\) → \(.*\)$/, '')), ["would update account key 'alice'", "would update account key 'bob'", 'would commit result 70; nothing was committed (EXPLAIN)'])
  const before = await page.$eval('#results .explain-tree li.ev-set .before', (s) => s.textContent)
  const after = await page.$eval('#results .explain-tree li.ev-set .after', (s) => s.textContent)
  assert.equal([before, after], ['100', '70'])
  // Collapsible: closing the transfer's frame hides the deposit.
  assert.ok(await page.isVisible('#results .explain-tree li.nested summary'))
  await page.click('#results .explain-tree > details > summary')
  assert.ok(!(await page.isVisible('#results .explain-tree li.nested summary')), 'the nested frame is hidden when its parent is closed')
  await page.click('#results .explain-tree > details > summary')
  // Two frames fit the panel: the long lines (the rows' images) wrap instead of running past its edge,
  // where they were cut and had to be scrolled to.
  const fit = await page.$eval('#results .explain-tree', (e) => ({ tree: (e as PageElement).clientWidth, content: (e as PageElement).scrollWidth, lines: Math.round((e as PageElement).querySelector(':scope > ul.outcome > li').getBoundingClientRect().height / 15) }))
  assert.ok(fit.content <= fit.tree, `no sideways scrolling: ${JSON.stringify(fit)}`)
  assert.ok(fit.lines >= 2, `the first outcome line wrapped: ${JSON.stringify(fit)}`)
  // ... under their own text, the event's name still in view at the start of the line.
  const names = await page.$$eval('#results .explain-tree li.event .event-name', (ns) => ns.map((n) => {
    const box = (n as PageElement).getBoundingClientRect()
    const range = document.createRange()
    range.selectNodeContents(n)
    return { text: (n as PageElement).textContent, inside: range.getBoundingClientRect().left >= box.left - 0.5 && box.left >= (n as PageElement).closest('.explain-tree').getBoundingClientRect().left - 0.5 }
  }))
  assert.ok(names.length >= 6 && names.every((n) => n.inside), JSON.stringify(names))
  await shot('explain-transfer')

  // The flat rows: hidden until the toggle, then the grid with one row per event.
  assert.ok(!(await page.isVisible('#results .grid-scroll')))
  await page.click('#results .view-toggle')
  assert.ok(await page.isVisible('#results .grid-scroll'))
  assert.ok(!(await page.isVisible('#results .explain-tree')))
  const events = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => (tr as PageElement).querySelectorAll('td')[2].textContent))
  assert.is(events[0], 'call')
  assert.is(events.filter((e) => e === 'call').length, 2)
  assert.is(events[events.length - 1], 'would commit')
  await shot('explain-grid')
  await page.click('#results .view-toggle')
  assert.ok(await page.isVisible('#results .explain-tree'))

  // Nothing was committed.
  await runSql("SELECT balance FROM account WHERE id = 'alice';")
  assert.equal(await page.$$eval('#results tbody td', (tds) => tds.map((td) => td.textContent)), ['100'])
})

browserTest('EXPLAIN COMMIT of the set-up\'s INSERT: where its state came from first, then the rows it inserted and its verdict at its position', async () => {
  const page = p()
  const at = accountsInsertedAt
  assert.ok(at !== null)
  await runSql(`EXPLAIN COMMIT (${at.batch}, ${at.seq});`)
  const preface = await page.$$eval('#results .explain-tree ul.preface li', (lis) => lis.map((li) => (li as PageElement).textContent as string))
  assert.is(preface.length, 1)
  assert.match(preface[0]!, new RegExp(`^rebuilt the state before \\(${at.batch}, ${at.seq}\\): `))
  const t = await tree()
  assert.is(t.frames.length, 0, 'an INSERT makes no call')
  assert.equal(t.outcome, [
    "inserted account key 'alice' (no row) → (id = 'alice', balance = 100)",
    "inserted account key 'bob' (no row) → (id = 'bob', balance = 0)",
    `committed 2 rows affected at (${at.batch}, ${at.seq})`,
  ])
  assert.equal(await page.$$eval('#results .explain-tree ul.outcome li.ev-inserted .after', (s) => s.map((e) => (e as PageElement).textContent)), ["(id = 'alice', balance = 100)", "(id = 'bob', balance = 0)"])
  assert.is(await page.$eval('#results .explain-tree ul.outcome li:last-child', (li) => li.className), 'event ev-committed')
  await shot('explain-commit')
})

browserTest('a transaction that rolled back offers "why?": one click runs EXPLAIN COMMIT of its position and draws where it aborted', async () => {
  const page = p()
  await runSql("CALL account.transfer('bob', 'alice', 1000);")
  const commit = await page.$eval('#results .error .commit', (e) => (e as PageElement).textContent as string)
  const [, batch, seq] = /(\d+)\.(\d+)/.exec(commit) ?? []
  assert.ok(batch !== undefined && seq !== undefined, commit)
  assert.is(await page.$eval('#results .error button.explain-commit', (b) => (b as PageElement).title as string).then((t) => t.startsWith(`EXPLAIN COMMIT (${batch}, ${seq})`)), true)
  const before = Number(await page.$eval('#results', (e) => (e as PageElement).dataset.runs ?? '0'))
  await page.click('#results .error button.explain-commit')
  await page.waitForFunction((n) => Number((document.getElementById('results') as PageElement).dataset.runs ?? '0') > n, before)
  assert.is(await page.$eval('#results .result .title', (e) => (e as PageElement).textContent as string), `EXPLAIN COMMIT (${batch}, ${seq})`)
  const t = await tree()
  assert.is(t.frames.length, 1, JSON.stringify(t))
  assert.match(t.frames[0]!.className, /\baborted\b/)
  assert.match(t.outcome[t.outcome.length - 1]!, new RegExp(`^rolled back TXN_ABORTED: .*insufficient funds at \\(${batch}, ${seq}\\); nothing was written$`))
  await shot('explain-why')
})

browserTest('EXPLAIN CALL of a transfer that aborts: the frame marked aborted with its failure, and the roll back', async () => {
  const page = p()
  await runSql("EXPLAIN CALL account.transfer('bob', 'alice', 1000);")
  const t = await tree()
  assert.is(t.frames.length, 1, JSON.stringify(t))
  const top = t.frames[0]!
  assert.match(top.className, /\baborted\b/)
  assert.match(top.outcome, /^ ✗ TXN_ABORTED: .*insufficient funds/)
  assert.match(top.fuel, /^ · fuel \d+$/)
  assert.match(top.events[top.events.length - 1]!, /^abort TXN_ABORTED: .*insufficient funds/)
  assert.is(top.nested.length, 0, 'it failed before calling deposit')
  assert.is(t.outcome.length, 1)
  assert.match(t.outcome[0]!, /^would roll back TXN_ABORTED: .*insufficient funds.*; nothing would be written$/)
  assert.is(await page.$eval('#results .explain-tree ul.outcome li', (li) => li.className), 'event ev-would-roll-back')
  await shot('explain-abort')
})

browserTest('EXPLAIN CALL failing deep down: 64 nested frames, the innermost aborted, every outer one unwound', async () => {
  const page = p()
  await runSql('EXPLAIN CALL t.recurse(1);')
  const chain = await page.$eval('#results .explain-tree', (t) => {
    const out: { key: string; className: string; outcome: string; depth: string }[] = []
    let d = (t as PageElement).querySelector(':scope > details.frame')
    while (d !== null) {
      const s = d.querySelector(':scope > summary')
      out.push({ key: s.querySelector('.at').textContent, className: d.className, outcome: s.querySelector('.outcome')?.textContent ?? '', depth: d.dataset.depth })
      d = d.querySelector(':scope > ul.events > li.nested > details.frame')
    }
    return out
  })
  assert.is(chain.length, CALL_DEPTH_MAX, JSON.stringify(chain.slice(-3)))
  assert.equal(chain.map((f) => f.depth), Array.from({ length: CALL_DEPTH_MAX }, (_, i) => String(i + 1)))
  assert.equal(chain.map((f) => f.key), Array.from({ length: CALL_DEPTH_MAX }, (_, i) => ` on t key ${i + 1} `))
  const innermost = chain[CALL_DEPTH_MAX - 1]!
  assert.match(innermost.className, /\baborted\b/)
  assert.match(innermost.outcome, /^ ✗ CALL_DEPTH_EXCEEDED/)
  for (const f of chain.slice(0, -1)) {
    assert.match(f.className, /\bunwound\b/)
    assert.match(f.outcome, /^ ✗ unwound \(CALL_DEPTH_EXCEEDED from a call it made\)/)
  }
  assert.match(await page.$eval('#results .explain-tree ul.outcome li', (li) => li.textContent), /^would roll back CALL_DEPTH_EXCEEDED/)
  const widths = await page.$eval('#results .explain-tree', (t) => ({
    tree: (t as PageElement).clientWidth, content: (t as PageElement).scrollWidth,
    page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth,
  }))
  assert.ok(widths.content > widths.tree, `the deep tree is wider than its box: ${JSON.stringify(widths)}`)
  assert.ok(widths.page <= widths.viewport, `and scrolls inside it, not the page: ${JSON.stringify(widths)}`)
  await shot('explain-depth', false)
  assert.equal(problems, [])
})

browserTest('CALL … WITH LOGS: the log lines under the result and under the error, kept in the JSON export; none without WITH LOGS', async () => {
  const page = p()
  await runSql("CALL account.say('k', 3) WITH LOGS;\nCALL account.say('k', 0) WITH LOGS;\nCALL account.say('k', 2);\nCALL account.fail('k') WITH LOGS;")
  const shown = await page.$$eval('#results .result, #results .error', (boxes) => boxes.map((b) => ({
    kind: (b as PageElement).className,
    head: b.querySelector('.logs .logs-head')?.textContent ?? null,
    lines: [...b.querySelectorAll('.logs .log-line')].map((l) => l.textContent ?? ''),
  })))
  assert.equal(shown, [
    { kind: 'result', head: 'log: 3 lines', lines: ['line 0', 'line 1', 'line 2'] },
    { kind: 'result', head: 'log: no lines', lines: [] },
    { kind: 'result', head: null, lines: [] },
    { kind: 'error', head: 'log: 1 line', lines: ['about to abort'] },
  ])
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#results .result .export-json')])
  const parsed = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { rows: unknown[][]; logs: string[] }
  assert.equal(parsed.rows, [[3]])
  assert.equal(parsed.logs, ['line 0', 'line 1', 'line 2'])
  await shot('logs')
})

browserTest('a DDL\'s notice (IF NOT EXISTS / IF EXISTS that skipped) is shown with its result, as psql\'s NOTICE', async () => {
  const page = p()
  await runSql('CREATE TABLE IF NOT EXISTS account (id TEXT PRIMARY KEY);\nDROP TABLE IF EXISTS nothere;\nSELECT 1;')
  const notices = await page.$$eval('#results .result', (boxes) => boxes.map((b) => b.querySelector('.notice')?.textContent ?? null))
  assert.equal(notices, ['NOTICE: table account already exists, skipping', 'NOTICE: table nothere does not exist, skipping', null])
})

test.run()
