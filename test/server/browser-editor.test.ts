// The console's input side in headless Chromium, as a person uses it: the CodeMirror editor (highlighting,
// completion from the catalog, Ctrl-Enter on the selection, an error marker where the server says the
// error is), the schema sidebar (lists, click inserts), function upload with the module's exports as
// checkboxes, the query history and the tabs (they survive a reload). All of it under the page's strict
// CSP, which must log no violation. Screenshots for a person go to dist/screenshots/editor-*.png.
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { browserTest, launchChromium, PAGE_TIMEOUT_MS } from '../support/browser.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

// Functions passed to page.$eval / evaluate run in the browser; this project compiles without the DOM
// library, so their few DOM names are declared here, loosely, for this file only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PageElement = any
declare const document: PageElement
declare const localStorage: PageElement
declare function getComputedStyle(e: PageElement): PageElement

const BANK_WASM = fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))
const LOGS_WASM = fileURLToPath(new URL('../../guest/logs.wasm', import.meta.url))
const SCREENSHOTS = fileURLToPath(new URL('../../screenshots/', import.meta.url))
/** The page's REQUEST_TIMEOUT_MS (static/console/src/main.js): how long it waits for a reply. */
const REQUEST_TIMEOUT_MS = 60_000
/** The page's HISTORY_ENTRIES_MAX (static/console/src/history.js). */
const HISTORY_ENTRIES_MAX = 200

interface Opened { page: Page; problems: string[] }

async function openConsole(browser: Browser, server: ServerProcess): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  // Chromium logs every CSP refusal (a <style> element, a data: image, an inline script) as a console error.
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text().slice(0, 300)}`) })
  const origin = `http://${server.host}:${server.port}`
  page.on('request', (r) => { if (!r.url().startsWith(origin)) problems.push(`request outside the server: ${r.url()}`) })
  await load(page, server)
  return { page, problems }
}

async function load(page: Page, server: ServerProcess): Promise<void> {
  const response = await page.goto(`http://${server.host}:${server.port}/`)
  assert.ok(response !== null && response.ok())
  assert.match(response!.headers()['content-security-policy'] ?? '', /style-src 'self';/)
  await page.waitForFunction(() => document.getElementById('conn-status').dataset.state === 'open')
  await catalogRead(page, 0)
}

async function refreshes(page: Page): Promise<number> {
  return Number(await page.$eval('#schema-status', (e) => (e as PageElement).dataset.refreshes ?? '0'))
}

async function catalogRead(page: Page, after: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.getElementById('schema-status').dataset.refreshes ?? '0') > n, after)
}

async function runs(page: Page): Promise<number> {
  return Number(await page.$eval('#results', (e) => (e as PageElement).dataset.runs ?? '0'))
}

async function waitForRun(page: Page, before: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.getElementById('results').dataset.runs ?? '0') > n, before)
}

/** Replaces the editor's text by typing, as a person would. */
async function type(page: Page, text: string): Promise<void> {
  await page.click('#sql')
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  await page.keyboard.type(text)
  await page.keyboard.press('Escape') // closes a completion popup left open by the last word
}

/** Types a script and runs it with Ctrl-Enter; with DDL in it, also waits for the catalog to be read again. */
async function runSql(page: Page, sql: string): Promise<void> {
  const before = await runs(page)
  const read = await refreshes(page)
  await type(page, sql)
  await page.keyboard.press('Control+Enter')
  await waitForRun(page, before)
  if (/\b(CREATE|DROP)\b/i.test(sql)) await catalogRead(page, read)
}

async function editorText(page: Page): Promise<string> {
  return page.$eval('.cm-content', (c) => [...(c as PageElement).querySelectorAll('.cm-line')].map((l: PageElement) => l.textContent).join('\n'))
}

async function results(page: Page): Promise<{ title: string; headers: string[]; rows: string[][] }[]> {
  return page.$$eval('#results .result', (boxes) => boxes.map((b: PageElement) => ({
    title: b.querySelector('.title')?.textContent ?? '',
    headers: [...b.querySelectorAll('th')].map((th: PageElement) => th.textContent ?? ''),
    rows: [...b.querySelectorAll('tbody tr')].map((tr: PageElement) => [...tr.querySelectorAll('td')].map((td: PageElement) => td.textContent ?? '')),
  })))
}

/** The completion popup's options, once it offers `expected` (it updates shortly after each keystroke). */
async function completionLabels(page: Page, expected: string): Promise<{ label: string; detail: string }[]> {
  await page.waitForFunction((label) => [...document.querySelectorAll('.cm-tooltip-autocomplete .cm-completionLabel')].some((l: PageElement) => l.textContent === label), expected)
  return page.$$eval('.cm-tooltip-autocomplete li', (items) => items.map((li: PageElement) => ({
    label: li.querySelector('.cm-completionLabel')?.textContent ?? '',
    detail: li.querySelector('.cm-completionDetail')?.textContent ?? '',
  })))
}

/**
 * CodeMirror takes no Enter or Tab for the popup in its first 75 ms (autocompletion's interactionDelay),
 * so that a key meant for the text is not taken by a popup that just appeared: a person sees it first.
 */
async function popupReady(page: Page): Promise<void> {
  await page.waitForTimeout(150)
}

/** Clicks the completion popup's option labelled exactly `label`. */
async function pickCompletion(page: Page, label: string): Promise<void> {
  await page.locator('.cm-tooltip-autocomplete li').filter({ has: page.locator('.cm-completionLabel', { hasText: new RegExp(`^${label}$`) }) }).click()
}

/** The error marker (lint range) in the editor: its text, its line (1-based) and column (1-based). */
async function marker(page: Page): Promise<{ text: string; line: number; column: number; gutter: number }> {
  await page.waitForSelector('.cm-lintRange-error')
  return page.$eval('.cm-lintRange-error', (m: PageElement) => {
    const line = m.closest('.cm-line')
    const lines = [...document.querySelectorAll('.cm-content .cm-line')]
    const range = document.createRange()
    range.setStart(line, 0)
    range.setEnd(m, 0)
    return { text: m.textContent, line: lines.indexOf(line) + 1, column: range.toString().length + 1, gutter: document.querySelectorAll('.cm-lint-marker-error').length }
  })
}

/**
 * A page whose WebSocket frames pass through the test: `sent` collects the SQL the page sends; while
 * `holding`, the server's replies wait in `held` until `release()`.
 */
async function openRouted(browser: Browser, server: ServerProcess): Promise<Opened & { sent: string[]; hold(on: boolean): void; release(): void }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  const sent: string[] = []
  let holding = false
  const held: (() => void)[] = []
  await page.routeWebSocket(/.*/, (ws) => {
    const upstream = ws.connectToServer()
    ws.onMessage((m) => {
      const frame = JSON.parse(String(m)) as { op?: string; sql?: string }
      if (frame.op === 'sql' && typeof frame.sql === 'string') sent.push(frame.sql)
      upstream.send(m)
    })
    upstream.onMessage((m) => { if (holding) held.push(() => ws.send(m)); else ws.send(m) })
  })
  await load(page, server)
  return {
    page, problems, sent,
    hold(on) { holding = on },
    release() { holding = false; for (const f of held.splice(0)) f() },
  }
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: `${SCREENSHOTS}editor-${name}.png`, fullPage: true })
}

function show(x: unknown): string {
  return JSON.stringify(x)?.slice(0, 1500) ?? String(x)
}

browserTest('editor: CodeMirror under the strict CSP, highlighting, completion from the catalog, selection runs, error markers', async () => {
  const server = await startServer({ args: ['--partitions', '4', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)

    // CodeMirror's styles came in as a constructable stylesheet, not as a <style> element the CSP refuses:
    // its base theme applies (the editor is a flex column) and no <style> element exists.
    const styling = await page.evaluate(() => ({
      display: getComputedStyle(document.querySelector('.cm-editor')).display,
      adopted: document.adoptedStyleSheets.length,
      styleElements: document.querySelectorAll('style').length,
      textarea: document.querySelectorAll('textarea').length,
    }))
    assert.equal(styling, { display: 'flex', adopted: 1, styleElements: 0, textarea: 0 })

    await runSql(page, 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;')
    await runSql(page, "INSERT INTO account VALUES ('alice', 100), ('bob', 7);")

    // Highlighting: Acheron's words are keywords, literals have their own token classes, coloured by console.css.
    await type(page, "SELECT balance FROM account WHERE id = 'alice' LIMIT 1; -- one row\nCALL account.transfer('a', 'b', 5);")
    const tokens = await page.$$eval('.cm-content span[class^="tok-"]', (spans) => spans.map((s: PageElement) => [s.className, s.textContent]))
    const of = (cls: string): string[] => tokens.filter(([c]) => c === cls).map(([, t]) => t as string)
    assert.equal(of('tok-keyword'), ['SELECT', 'FROM', 'WHERE', 'LIMIT', 'CALL'], show(tokens))
    assert.equal(of('tok-string'), ["'alice'", "'a'", "'b'"], show(tokens))
    assert.equal(of('tok-number'), ['1', '5'], show(tokens))
    assert.equal(of('tok-comment'), ['-- one row'], show(tokens))
    const keywordColor = await page.$eval('.tok-keyword', (s) => getComputedStyle(s).color)
    assert.is(keywordColor, 'rgb(122, 44, 184)', 'console.css colours the token classes')
    await shot(page, 'highlight')
    // A "quoted" identifier is a name: coloured as the text's names are, not as the string beside it.
    await type(page, `SELECT "select", note, 'text' FROM "Order";`)
    const colours = await page.evaluate(() => {
      const spans = [...document.querySelectorAll('.cm-content span')]
      const of = (text: string): PageElement => spans.find((s: PageElement) => s.textContent === text)
      const name = getComputedStyle(document.querySelector('.cm-line')).color
      return {
        quoted: [of('"select"').className, getComputedStyle(of('"select"')).color, getComputedStyle(of('"Order"')).color],
        string: getComputedStyle(of("'text'")).color,
        name,
      }
    })
    assert.is(colours.quoted[0], 'tok-variableName tok-quotedName', show(colours))
    assert.equal(colours.quoted.slice(1), [colours.name, colours.name], show(colours))
    assert.is.not(colours.string, colours.name)

    // Completion: a table from the catalog ...
    await type(page, 'SELECT * FROM acc')
    await page.keyboard.press('Control+Space')
    let options = await completionLabels(page, 'account')
    assert.match(options.find((o) => o.label === 'account')!.detail, /4 partitions/)
    await page.keyboard.press('Escape')
    // ... and a column of the table the statement names, unqualified, with its type; Enter takes it.
    await page.keyboard.type('ount WHERE bal')
    options = await completionLabels(page, 'balance')
    const balance = options.find((o) => o.label === 'balance')
    assert.ok(balance !== undefined, show(options))
    assert.match(balance!.detail, /INTEGER not null \(account\)/)
    await shot(page, 'completion')
    await page.keyboard.press('Enter')
    assert.is(await editorText(page), 'SELECT * FROM account WHERE balance')
    // After `table.`: its columns, with the key marked.
    await page.keyboard.type(' > 0 AND account.')
    options = await completionLabels(page, 'id')
    assert.equal(options.map((o) => o.label).sort(), ['balance', 'id'], show(options))
    assert.match(options.find((o) => o.label === 'id')!.detail, /TEXT key/)
    await page.keyboard.press('Escape')

    // Ctrl-Enter runs the selection only: the second line, selected with Shift+Home.
    let before = await runs(page)
    await type(page, 'SELECT 1 AS one;\nSELECT id, balance FROM account ORDER BY id;')
    await page.keyboard.press('Shift+Home')
    await page.keyboard.press('Control+Enter')
    await waitForRun(page, before)
    let r = await results(page)
    assert.is(r.length, 1, show(r))
    assert.equal(r[0]!.headers, ['id', 'balance'])
    assert.equal(r[0]!.rows, [['alice', '100'], ['bob', '7']])

    // An error with a position: the marker sits on the token the server names (line 2, column 8).
    await runSql(page, 'SELECT id FROM account;\nSELECT FROM account;')
    assert.match(await page.$eval('#results .error .position', (p) => p.textContent ?? ''), /line 2, column 8/)
    let m = await marker(page)
    assert.equal(m, { text: 'FROM', line: 2, column: 8, gutter: 1 })
    await page.hover('.cm-lintRange-error')
    await page.waitForSelector('.cm-tooltip-lint')
    assert.match(await page.$eval('.cm-tooltip-lint', (t) => t.textContent ?? ''), /SYNTAX_ERROR: expected an expression, found 'FROM'/)
    await shot(page, 'error')
    // The next run clears it.
    await runSql(page, 'SELECT 1;')
    assert.is(await page.$$eval('.cm-lintRange-error', (x) => x.length), 0)

    // The error of a selection that ran: the server counts from the selection; the marker lands in the document.
    before = await runs(page)
    await type(page, "SELECT 1;\nSELECT id FROM account WHERE nope = 1;")
    await page.keyboard.press('Shift+Home')
    await page.keyboard.press('Control+Enter')
    await waitForRun(page, before)
    assert.match(await page.$eval('#results .error .code', (c) => c.textContent ?? ''), /UNKNOWN_COLUMN/)
    m = await marker(page)
    assert.equal(m, { text: 'nope', line: 2, column: 30, gutter: 1 })

    // Search (Ctrl-F) opens CodeMirror's panel, styled like the rest (no violation either).
    await page.click('#sql')
    await page.keyboard.press('Control+F')
    await page.waitForSelector('.cm-panel.cm-search')
    assert.is(await page.$eval('.cm-panels', (p) => getComputedStyle(p).position), 'sticky')
    await page.keyboard.press('Escape')

    // The CSP is really enforced here, so "no violation" above means something: a <style> the page did not
    // bring is refused and reported.
    assert.equal(problems, [])
    const applied = await page.evaluate(() => {
      const s = document.createElement('style')
      s.textContent = 'body { margin: 77px }'
      document.head.appendChild(s)
      return getComputedStyle(document.body).margin
    })
    assert.is.not(applied, '77px')
    await page.waitForTimeout(200)
    assert.ok(problems.some((p) => /^CSP: .*style-src/.test(p)), show(problems))
  } finally {
    await browser?.close()
    await server.stop()
  }
})

browserTest('editor: schema sidebar, upload with the module\'s exports, CALL completion, history, tabs across a reload', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    assert.match(await page.$eval('#schema-tables', (e) => e.textContent ?? ''), /no tables yet/)

    await runSql(page, 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, note TEXT); CREATE INDEX account_note ON account (note, balance DESC);')

    // Upload: the module's exports, each with a checkbox; a function that takes parameters cannot be checked.
    await page.setInputFiles('#wasm-file', LOGS_WASM)
    await page.waitForSelector('#wasm-exports:not([hidden]) input[value="say"]')
    const logsExports = await page.$$eval('#wasm-export-list input', (xs) => xs.map((x: PageElement) => [x.value, x.disabled]))
    assert.equal(logsExports, [['say', false], ['bump', false], ['relay', false], ['fail', false], ['helper', true]])
    // bank.wasm: check two of its four, register them in one statement.
    await page.setInputFiles('#wasm-file', BANK_WASM)
    await page.waitForSelector('#wasm-export-list input[value="transfer"]')
    assert.equal(await page.$$eval('#wasm-export-list input', (xs) => xs.map((x: PageElement) => x.value)), ['balance', 'deposit', 'withdraw', 'transfer'])
    // Nothing checked: the page says so under the form and sends nothing (it was shown as a server
    // error, SYNTAX_ERROR, in the results).
    await page.fill('#fns-table', 'account')
    const resultsBefore = await page.$eval('#results', (e) => (e as PageElement).innerHTML as string)
    await page.click('#upload-many')
    assert.is(await page.$eval('#upload-problem', (e) => (e as PageElement).hidden ? null : e.textContent), 'check the exports to register')
    assert.is(await page.$eval('#results', (e) => (e as PageElement).innerHTML as string), resultsBefore, 'the results are left as they were')
    await page.check('#wasm-export-list input[value="deposit"]')
    await page.check('#wasm-export-list input[value="transfer"]')
    await page.fill('#fns-table', 'account')
    await page.fill('#fn-fuel', '500000')
    await shot(page, 'upload')
    let before = await runs(page)
    let read = await refreshes(page)
    await page.click('#upload-many')
    await waitForRun(page, before)
    assert.ok(await page.$eval('#upload-problem', (e) => (e as PageElement).hidden), 'a form that could be sent has no problem line')
    let r = await results(page)
    assert.is(r.length, 1, show(r))
    assert.match(r[0]!.title, /^CREATE OR REPLACE FUNCTIONS account\.\(deposit, transfer\) FROM WASM BASE64 '…' \(bank\.wasm, \d+ bytes\) WITH \(FUEL = 500000\)$/)
    assert.equal(r[0]!.headers, ['function', 'export'])
    assert.equal(r[0]!.rows, [['account.deposit', 'deposit'], ['account.transfer', 'transfer']])
    await catalogRead(page, read)

    // The sidebar: the table with its partitions, columns and index, the two functions with table, export, fuel, memory.
    const sidebar = await page.evaluate(() => ({
      tables: [...document.querySelectorAll('#schema-tables li.table')].map((t: PageElement) => ({
        head: t.querySelector('.head').textContent,
        columns: [...t.querySelectorAll('li.column')].map((c: PageElement) => c.textContent),
        indexes: [...t.querySelectorAll('li.index')].map((c: PageElement) => c.textContent),
      })),
      functions: [...document.querySelectorAll('#schema-functions li.function')].map((f: PageElement) => f.textContent),
    }))
    assert.equal(sidebar, {
      tables: [{ head: 'account2 partitions, key id', columns: ['idTEXT key', 'balanceINTEGER not null', 'noteTEXT'], indexes: ['account_noteindex on (note, balance DESC)'] }],
      functions: [
        'account.deposittable account · export deposit · fuel 500000 · memory 16 MiB',
        'account.transfertable account · export transfer · fuel 500000 · memory 16 MiB',
      ],
    })
    await shot(page, 'sidebar')

    // Right after `CALL `, completion offers every function, first (it needed a first letter before).
    await type(page, 'CALL ')
    await page.keyboard.press('Control+Space')
    const calls = await completionLabels(page, 'account.deposit')
    assert.equal(calls.slice(0, 2).map((o) => o.label), ['account.deposit', 'account.transfer'], show(calls))
    await page.keyboard.press('Escape')

    // Clicking a name inserts it at the cursor: build a CALL from the sidebar, then run it.
    await type(page, 'CALL ')
    await page.click('#schema-functions button[data-insert="account.deposit"]')
    await page.keyboard.type("('alice', 50);")
    assert.is(await editorText(page), "CALL account.deposit('alice', 50);")
    before = await runs(page)
    await page.keyboard.press('Control+Enter')
    await waitForRun(page, before)
    r = await results(page)
    assert.equal(r[0]!.rows, [['50']], show(r))
    await type(page, 'SELECT  FROM account;')
    for (let i = 0; i < ' FROM account;'.length; i++) await page.keyboard.press('ArrowLeft')
    await page.click('#schema-tables button[data-insert="balance"]')
    assert.is(await editorText(page), 'SELECT balance FROM account;')

    // CALL completes the table's functions after `t.` (withdraw was not registered).
    await type(page, 'CALL account.')
    await page.keyboard.press('Control+Space')
    const options = await completionLabels(page, 'deposit')
    assert.equal(options.map((o) => o.label).sort(), ['deposit', 'transfer'], show(options))
    await page.keyboard.press('Escape')

    // History: every script run, newest first; clicking one puts it back in the editor.
    await runSql(page, "CALL account.transfer('alice', 'bob', 20);")
    await page.click('#history summary')
    const history = await page.$$eval('#history-list .recall', (bs) => bs.map((b: PageElement) => b.title))
    assert.equal(history.slice(0, 3), ["CALL account.transfer('alice', 'bob', 20);", "CALL account.deposit('alice', 50);", 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, note TEXT); CREATE INDEX account_note ON account (note, balance DESC);'])
    assert.is(await page.$eval('#history-count', (c) => c.textContent), '3')
    await type(page, 'something else')
    await page.click(`#history-list .recall[title="CALL account.deposit('alice', 50);"]`)
    assert.is(await editorText(page), "CALL account.deposit('alice', 50);")
    await shot(page, 'history')
    // From the keyboard: Ctrl-Up steps to older scripts, Ctrl-Down back to newer ones and then to the
    // text being written; the oldest stays put.
    await type(page, 'draft text')
    await page.keyboard.press('Control+ArrowUp')
    assert.is(await editorText(page), "CALL account.transfer('alice', 'bob', 20);")
    await page.keyboard.press('Control+ArrowUp')
    await page.keyboard.press('Control+ArrowUp')
    assert.is(await editorText(page), 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, note TEXT); CREATE INDEX account_note ON account (note, balance DESC);')
    await page.keyboard.press('Control+ArrowUp')
    assert.is(await editorText(page), 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, note TEXT); CREATE INDEX account_note ON account (note, balance DESC);', 'past the oldest: no change')
    await page.keyboard.press('Control+ArrowDown')
    assert.is(await editorText(page), "CALL account.deposit('alice', 50);")
    await page.keyboard.press('Control+ArrowDown')
    await page.keyboard.press('Control+ArrowDown')
    assert.is(await editorText(page), 'draft text')
    // A script over several lines is listed whole on one line (the list showed its first line only:
    // here, the comment).
    await runSql(page, '-- who is there\nSELECT id FROM account;')
    const label = await page.$eval('#history-list .recall', (b) => (b as PageElement).textContent as string)
    assert.is(label, '-- who is there SELECT id FROM account;')
    await page.click(`#history-list .recall[title="CALL account.deposit('alice', 50);"]`)

    // Tabs: a new one with its own script, renamed; both survive a reload, with the active one in front.
    await page.click('#tab-new')
    assert.is(await editorText(page), '')
    await page.keyboard.type('SELECT id FROM account;')
    await page.dblclick('.tab[aria-selected="true"] .tab-name')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('balances')
    await page.keyboard.press('Enter')
    await page.click('#tab-new')
    await page.keyboard.type('SELECT 3;')
    await page.click('.tab:nth-child(2) .tab-name')
    assert.is(await editorText(page), 'SELECT id FROM account;')
    await page.click('.tab:nth-child(3) .tab-close')
    await load(page, server)
    const tabs = await page.$$eval('.tab', (ts) => ts.map((t: PageElement) => [t.querySelector('.tab-name').textContent, t.getAttribute('aria-selected')]))
    assert.equal(tabs, [['Script 1', 'false'], ['balances', 'true']])
    assert.is(await editorText(page), 'SELECT id FROM account;')
    await page.click('.tab:nth-child(1) .tab-name')
    assert.is(await editorText(page), "CALL account.deposit('alice', 50);")
    await shot(page, 'tabs')
    // At most TABS_MAX (20): then + is disabled.
    for (let n = 2; n < 20; n++) await page.click('#tab-new')
    assert.is(await page.$$eval('.tab', (ts) => ts.length), 20)
    assert.ok(await page.$eval('#tab-new', (b) => (b as PageElement).disabled), '+ is disabled at 20 tabs')

    // The history survived the reload too, and is bounded: seeded full, one more run drops the oldest.
    const seeded = Array.from({ length: HISTORY_ENTRIES_MAX }, (_, i) => ({ sql: `SELECT ${i};`, ok: true, at: new Date(0).toISOString() }))
    await page.evaluate((entries) => localStorage.setItem('acheron.console.history.v1', JSON.stringify(entries)), seeded)
    await load(page, server)
    assert.is(await page.$eval('#history-count', (c) => c.textContent), String(HISTORY_ENTRIES_MAX))
    await runSql(page, 'SELECT 42 AS answer;')
    const kept = await page.$$eval('#history-list .recall', (bs) => bs.map((b: PageElement) => b.title))
    assert.is(kept.length, HISTORY_ENTRIES_MAX)
    assert.is(kept[0], 'SELECT 42 AS answer;')
    assert.is(kept[1], 'SELECT 0;')
    assert.not.ok(kept.includes(`SELECT ${HISTORY_ENTRIES_MAX - 1};`), 'the oldest entry went')
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

browserTest('editor: Ctrl-Enter while a script runs sends nothing and says so; the script runs once', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems, sent, hold, release } = await openRouted(browser, server)
    await runSql(page, 'CREATE TABLE counter (id INTEGER PRIMARY KEY, v INTEGER NOT NULL); INSERT INTO counter VALUES (1, 0);')
    const bump = 'UPDATE counter SET v = v + 1 WHERE id = 1;'
    // The server's reply is held, so the run is certainly still in progress at the second Ctrl-Enter.
    hold(true)
    const before = await runs(page)
    await type(page, bump)
    await page.keyboard.press('Control+Enter')
    await page.waitForFunction(() => document.getElementById('run').disabled === true)
    await page.keyboard.press('Control+Enter')
    await page.waitForFunction(() => /was not sent/.test(document.getElementById('run-status').textContent ?? ''))
    release()
    await waitForRun(page, before)
    assert.match(await page.$eval('#run-status', (e) => e.textContent ?? ''), /^1 statement in /)
    // Frames keep their order: a second UPDATE would have been sent before this SELECT.
    await runSql(page, 'SELECT v FROM counter;')
    assert.equal((await results(page))[0]!.rows, [['1']], 'the UPDATE ran once')
    assert.equal(sent.filter((s) => s === bump), [bump], show(sent))
    await page.click('#history summary')
    assert.equal(await page.$$eval('#history-list .recall', (bs) => bs.map((b: PageElement) => b.title)).then((h) => h.filter((t) => t === bump)), [bump], 'one history entry')
    // An empty editor: nothing is sent, and the status line says why (it stayed as it was, or blank).
    const sentBefore = sent.length
    await type(page, '   ')
    await page.keyboard.press('Control+Enter')
    await page.waitForFunction(() => (document.getElementById('run-status').textContent ?? '') === 'nothing to run: the editor is empty')
    assert.is(sent.length, sentBefore, show(sent))
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

/** The tab bar's names, in order. */
async function tabNames(page: Page): Promise<string[]> {
  return page.$$eval('.tab .tab-name', (ts) => ts.map((t: PageElement) => t.textContent))
}

/** Each tab's text, read by clicking through the tabs. */
async function tabTexts(page: Page): Promise<string[]> {
  const texts: string[] = []
  const n = await page.$$eval('.tab', (ts) => ts.length)
  for (let i = 1; i <= n; i++) {
    await page.click(`.tab:nth-child(${i}) .tab-name`)
    texts.push(await editorText(page))
  }
  return texts
}

/**
 * Two pages of one browser context (one localStorage, as two windows of one browser), both showing the
 * console of a server of their own; `run` gets them and the page errors seen, and the server and browser
 * are stopped after it, whatever it did.
 */
async function inTwoWindows(run: (a: Page, b: Page, server: ServerProcess, problems: string[]) => Promise<void>): Promise<void> {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    const a = await context.newPage()
    const b = await context.newPage()
    for (const p of [a, b]) p.setDefaultTimeout(PAGE_TIMEOUT_MS)
    const problems: string[] = []
    for (const p of [a, b]) p.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    await load(a, server)
    await load(b, server)
    await run(a, b, server, problems)
  } finally {
    await browser?.close()
    await server.stop()
  }
}

browserTest('editor: two windows of one browser share their tabs without overwriting each other\'s scripts', async () => {
  await inTwoWindows(async (a, b, server, problems) => {
    await a.click('#tab-new')
    await a.keyboard.type("SELECT 'written in window A';")
    await b.click('#tab-new')
    await b.keyboard.type("SELECT 'written in window B';")
    // Each window shows the other's new tab, under a name of its own.
    for (const p of [a, b]) await p.waitForFunction(() => document.querySelectorAll('.tab').length === 3)
    assert.equal(await tabNames(a), ['Script 1', 'Script 2', 'Script 3'])
    assert.equal(await tabNames(b), ['Script 1', 'Script 2', 'Script 3'])
    // A's tab, open in both windows, edited in B: A's editor follows.
    await b.click('.tab:nth-child(2) .tab-name')
    assert.is(await editorText(b), "SELECT 'written in window A';")
    await b.click('.cm-content')
    await b.keyboard.press('Control+End')
    await b.keyboard.type(' -- and B')
    await a.waitForFunction(() => document.querySelector('.cm-content').textContent === "SELECT 'written in window A'; -- and B")
    // A tab closed in A is gone from B too, and B's next change does not bring it back.
    await a.click('.tab:nth-child(1) .tab-close')
    await b.waitForFunction(() => document.querySelectorAll('.tab').length === 2)
    await b.dblclick('.tab:nth-child(1) .tab-name')
    await b.keyboard.press('Control+A')
    await b.keyboard.type('mine')
    await b.keyboard.press('Enter')
    await a.waitForFunction(() => document.querySelector('.tab:nth-child(1) .tab-name').textContent === 'mine')
    // Writes can cross: B writes a list made before it saw A's tab. Not naming it as closed, that list
    // does not take it from A, which writes it back.
    await b.evaluate(() => {
      const list = JSON.parse(localStorage.getItem('acheron.console.tabs.v1'))
      list.tabs = list.tabs.filter((t: PageElement) => t.name !== 'mine')
      localStorage.setItem('acheron.console.tabs.v1', JSON.stringify(list))
    })
    await b.waitForFunction(() => JSON.parse(localStorage.getItem('acheron.console.tabs.v1')).tabs.some((t: PageElement) => t.name === 'mine'))
    assert.equal(await tabNames(a), ['Script 3', 'mine'])
    // After a reload, every script either window wrote is there, each under its own tab.
    await b.close()
    await load(a, server)
    assert.equal(await tabNames(a), ['Script 3', 'mine'])
    assert.equal(await tabTexts(a), ["SELECT 'written in window B';", "SELECT 'written in window A'; -- and B"])
    assert.equal(problems, [])
  })
})

browserTest('editor: two windows of one browser share the history: neither writes away the other\'s runs', async () => {
  await inTwoWindows(async (a, b, server, problems) => {
    await runSql(a, "SELECT 'run in A';")
    await runSql(b, "SELECT 'run in B';")
    await runSql(a, "SELECT 'run again in A';")
    const entries = (p: Page): Promise<string[]> => p.$$eval('#history-list .recall', (bs) => bs.map((x: PageElement) => x.title))
    const expected = ["SELECT 'run again in A';", "SELECT 'run in B';", "SELECT 'run in A';"]
    // B's list follows A's run as it happens; A's holds B's.
    await b.waitForFunction((n) => document.getElementById('history-count').textContent === String(n), expected.length)
    assert.equal(await entries(b), expected)
    assert.equal(await entries(a), expected)
    // And the stored history has every run: a reload shows them all.
    await b.close()
    await load(a, server)
    assert.equal(await entries(a), expected)
    assert.equal(problems, [])
  })
})

browserTest('editor: a name that must be quoted ("select", a table "order") is inserted quoted by the sidebar and by completion; Qty stays bare', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    await runSql(page, 'CREATE TABLE "order" (id INTEGER PRIMARY KEY, "select" INTEGER, Qty INTEGER); INSERT INTO "order" VALUES (1, 2, 3);')
    // The sidebar lists the names as they are; a click writes them as SQL.
    await type(page, 'SELECT ')
    await page.click('#schema-tables button[data-insert="select"]')
    await page.keyboard.type(', ')
    await page.click('#schema-tables button[data-insert="Qty"]')
    await page.keyboard.type(' FROM ')
    await page.click('#schema-tables button[data-insert="order"]')
    assert.is(await editorText(page), 'SELECT "select", Qty FROM "order"')
    let before = await runs(page)
    await page.keyboard.press('Control+Enter')
    await waitForRun(page, before)
    let r = await results(page)
    assert.equal(r[0]?.rows, [['2', '3']], show(r))

    // Completion: the table after FROM, then the column after WHERE (the page's own column completion).
    await type(page, 'SELECT id FROM ord')
    await page.keyboard.press('Control+Space')
    await completionLabels(page, 'order')
    await pickCompletion(page, 'order')
    await page.keyboard.type(' WHERE sel')
    await completionLabels(page, 'select')
    await pickCompletion(page, 'select')
    await page.keyboard.type(' = 2 AND "order".')
    await completionLabels(page, 'Qty')
    await pickCompletion(page, 'Qty')
    await page.keyboard.type(' = 3;')
    assert.is(await editorText(page), 'SELECT id FROM "order" WHERE "select" = 2 AND "order".Qty = 3;')
    before = await runs(page)
    await page.keyboard.press('Control+Enter')
    await waitForRun(page, before)
    r = await results(page)
    assert.equal(r[0]?.rows, [['1']], show(r))
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

browserTest('editor: upload to a table named by a reserved word ("order") writes it quoted, by checked exports and under a name of its own', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    await runSql(page, 'CREATE TABLE "order" (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);')
    await page.setInputFiles('#wasm-file', BANK_WASM)
    await page.waitForSelector('#wasm-export-list input[value="deposit"]')
    await page.check('#wasm-export-list input[value="deposit"]')
    await page.check('#wasm-export-list input[value="balance"]')
    await page.fill('#fns-table', 'order')
    let read = await refreshes(page)
    let before = await runs(page)
    await page.click('#upload-many')
    await waitForRun(page, before)
    assert.is(await page.$('#results .error'), null, await page.$eval('#results', (e) => e.textContent ?? ''))
    assert.match((await results(page))[0]?.title ?? '', /^CREATE OR REPLACE FUNCTIONS "order"\.\(balance, deposit\) FROM WASM BASE64 '…'/)
    await catalogRead(page, read)
    // One export under a name of its own, the table again a reserved word.
    await page.fill('#fn-name', 'order.put')
    await page.fill('#fn-export', 'deposit')
    read = await refreshes(page)
    before = await runs(page)
    await page.click('#upload')
    await waitForRun(page, before)
    assert.is(await page.$('#results .error'), null, await page.$eval('#results', (e) => e.textContent ?? ''))
    await catalogRead(page, read)
    assert.equal(await page.$$eval('#schema-functions li.function', (lis) => lis.map((li: PageElement) => li.dataset.function)), ['order.balance', 'order.deposit', 'order.put'])
    await runSql(page, 'INSERT INTO "order" VALUES (\'ann\', 0); CALL "order".put(\'ann\', 7); CALL "order".balance(\'ann\');')
    const r = await results(page)
    assert.equal(r[2]?.rows, [['7']], show(r))
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

browserTest('editor: the error marker underlines a "quoted" name whole, as it does a bare one or a \'string\'', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    await runSql(page, 'CREATE TABLE "order" (id INTEGER PRIMARY KEY, qty INTEGER);')
    await runSql(page, 'SELECT id,\n  "no ""such"" col" FROM "order";')
    assert.equal(await marker(page), { text: '"no ""such"" col"', line: 2, column: 3, gutter: 1 })
    await runSql(page, 'SELECT id FROM "nosuch";')
    assert.equal(await marker(page), { text: '"nosuch"', line: 1, column: 16, gutter: 1 })
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

browserTest('editor: the sidebar wraps long names (64 characters, the most a name has) inside its panel', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    const [t, c, d, i] = ['t', 'c', 'd', 'i'].map((x) => x.repeat(64))
    await runSql(page, `CREATE TABLE ${t} (${c} INTEGER PRIMARY KEY, ${d} TEXT); CREATE INDEX ${i} ON ${t} (${d}, ${c} DESC);`)
    await page.waitForSelector(`#schema-tables li.index[data-index="${i}"]`)
    const fit = await page.$eval('nav#schema', (n: PageElement) => ({ panel: n.clientWidth, content: n.scrollWidth }))
    assert.ok(fit.content <= fit.panel, `the sidebar does not scroll sideways: ${JSON.stringify(fit)}`)
    // Each name is still one button, whole: a click inserts it.
    await type(page, '')
    await page.click(`#schema-tables button[data-insert="${t}"]`)
    assert.is(await editorText(page), t)
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

browserTest('editor: a script with no reply within 60 s: its late failure is not taken for the server refusing the connection', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    page.setDefaultTimeout(PAGE_TIMEOUT_MS)
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    // The page's clock is the test's: its 60 s request timeout passes at once.
    await page.clock.install()
    // The server's replies pass through the test, which holds them back while `holding`.
    const sent: string[] = []
    let holding = false
    const held: (() => void)[] = []
    await page.routeWebSocket(/.*/, (ws) => {
      const upstream = ws.connectToServer()
      ws.onMessage((m) => {
        const frame = JSON.parse(String(m)) as { op?: string; sql?: string }
        if (frame.op === 'sql' && typeof frame.sql === 'string') sent.push(frame.sql)
        upstream.send(m)
      })
      upstream.onMessage((m) => { if (holding) held.push(() => ws.send(m)); else ws.send(m) })
    })
    await load(page, server)
    const wasSent = async (sql: string): Promise<void> => { while (!sent.includes(sql)) await page.waitForTimeout(20) }
    holding = true
    let before = await runs(page)
    await type(page, 'SELECT nope;')
    await page.keyboard.press('Control+Enter')
    await wasSent('SELECT nope;')
    await page.clock.runFor(REQUEST_TIMEOUT_MS + 1000)
    await waitForRun(page, before)
    assert.is(await page.$eval('#results .error .code', (c) => c.textContent), 'CONNECTION')
    assert.match(await page.$eval('#results .error .message', (c) => c.textContent ?? ''), /^no reply within 60 s; .*may or may not run/)
    // The next script, its reply held behind the first one's late failure: released in that order.
    before = await runs(page)
    await type(page, 'SELECT 2 AS two;')
    await page.keyboard.press('Control+Enter')
    await wasSent('SELECT 2 AS two;')
    holding = false
    for (const f of held.splice(0)) f()
    await waitForRun(page, before)
    const shown = await page.$eval('#results', (e) => (e as PageElement).textContent ?? '')
    assert.equal((await results(page)).map((r) => r.rows), [[['2']]], shown)
    assert.is(await page.$('#results .error'), null, shown)
    assert.is(await page.$eval('#conn-status', (e) => (e as PageElement).dataset.state), 'open')
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

browserTest('editor: Enter after a word the completion would not change is a newline; Enter and Tab accept one that would', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    await runSql(page, 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER);')
    // The popup offers exactly the word typed: Enter ends the line.
    await type(page, '')
    await page.keyboard.type('SELECT id FROM account')
    await completionLabels(page, 'account')
    await popupReady(page)
    await page.keyboard.press('Enter')
    await page.keyboard.type('WHERE id = 1;')
    assert.is(await editorText(page), 'SELECT id FROM account\nWHERE id = 1;')
    // A word the completion completes: Enter takes it, and so does Tab.
    await type(page, '')
    await page.keyboard.type('SELECT * FROM acc')
    await completionLabels(page, 'account')
    await popupReady(page)
    await page.keyboard.press('Enter')
    assert.is(await editorText(page), 'SELECT * FROM account')
    await type(page, '')
    await page.keyboard.type('SELECT * FROM acc')
    await completionLabels(page, 'account')
    await popupReady(page)
    await page.keyboard.press('Tab')
    assert.is(await editorText(page), 'SELECT * FROM account')
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

browserTest('editor: an upload\'s error has no line and column (the statement is the page\'s, never shown)', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    await runSql(page, 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);')
    // bank.wasm has no export `nosuch`: INVALID_WASM, at a place inside the CREATE FUNCTION the page wrote.
    await page.setInputFiles('#wasm-file', BANK_WASM)
    await page.waitForSelector('#wasm-export-list input[value="transfer"]')
    await page.fill('#fn-name', 'account.nosuch')
    const before = await runs(page)
    await page.click('#upload')
    await waitForRun(page, before)
    const error = await page.$eval('#results .error', (e: PageElement) => ({
      code: e.querySelector('.code').textContent,
      positions: [...e.querySelectorAll('.position')].map((p: PageElement) => p.textContent),
    }))
    assert.is(error.code, 'INVALID_WASM', show(error))
    assert.not.ok(error.positions.some((p: string) => /line \d+, column \d+/.test(p)), show(error))
    // The statement is named as the page titles it: what was uploaded, without the base64.
    assert.ok(error.positions.some((p: string) => /^CREATE OR REPLACE FUNCTION account\.nosuch FROM WASM BASE64 '…' \(bank\.wasm, \d+ bytes\)/.test(p)), show(error))
    // A script typed by the user keeps its position.
    await runSql(page, 'SELECT nope FROM account;')
    assert.match(await page.$eval('#results .error .position', (p) => p.textContent ?? ''), /^line 1, column 8/)
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

test.run()
