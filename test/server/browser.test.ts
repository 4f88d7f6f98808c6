// The browser console end to end, as a person uses it: `acheron serve` as a child process, the page at
// http://HOST:PORT/ in headless Chromium (Debian's, via playwright-core), SQL typed into the editor and
// run with Ctrl-Enter or the Run button, a function uploaded from a .wasm file, results read back from
// the rendered tables, errors with their code and position, and the live stats. With and without a token.
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { browserTest, launchChromium, PAGE_TIMEOUT_MS } from '../support/browser.js'
import { startServer, type ServerProcess } from '../support/server-process.js'

// Functions passed to page.$eval / waitForFunction run in the browser. This project compiles without the
// DOM library, so their few DOM names are declared here, loosely, for this file only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PageElement = any
declare const document: { getElementById(id: string): PageElement; querySelector(selector: string): PageElement }

const BANK_WASM = fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))

function httpUrl(s: ServerProcess): string {
  return `http://${s.host}:${s.port}/`
}

interface Rendered {
  title: string
  headers: string[]
  rows: string[][]
  meta: string
}

async function openConsole(browser: Browser, server: ServerProcess): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage()
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  // No CDN, no network: every request goes back to the server itself.
  const origin = httpUrl(server).slice(0, -1)
  page.on('request', (r) => {
    if (!r.url().startsWith(origin)) problems.push(`request outside the server: ${r.url()}`)
  })
  const response = await page.goto(httpUrl(server))
  assert.ok(response !== null && response.ok(), 'GET / answers 200')
  const headers = response!.headers()
  assert.match(headers['content-type'] ?? '', /^text\/html/)
  assert.match(headers['content-security-policy'] ?? '', /default-src 'none'/)
  assert.match(headers['content-security-policy'] ?? '', /script-src 'self'/)
  return { page, problems }
}

async function runs(page: Page): Promise<number> {
  return Number(await page.$eval('#results', (e) => (e as PageElement).dataset.runs ?? '0'))
}

async function waitForRun(page: Page, before: number): Promise<void> {
  await page.waitForFunction((n) => Number((document.getElementById('results') as PageElement).dataset.runs ?? '0') > n, before)
}

/** Types the script into the editor (replacing what is there) and runs it with Ctrl-Enter or the Run button. */
async function runSql(page: Page, sql: string, how: 'keys' | 'button'): Promise<void> {
  const before = await runs(page)
  await page.click('#sql')
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  await page.keyboard.type(sql)
  if (how === 'keys') await page.keyboard.press('Control+Enter')
  else await page.click('#run')
  await waitForRun(page, before)
}

async function rendered(page: Page): Promise<Rendered[]> {
  return page.$$eval('#results .result', (boxes) => boxes.map((b) => ({
    title: b.querySelector('.title')?.textContent ?? '',
    headers: [...b.querySelectorAll('th')].map((th) => th.textContent ?? ''),
    rows: [...b.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    meta: b.querySelector('.meta')?.textContent ?? '',
  })))
}

async function renderedError(page: Page): Promise<{ code: string; message: string; position: string; commit: string }> {
  return page.$eval('#results .error', (e) => ({
    code: e.querySelector('.code')?.textContent ?? '',
    message: e.querySelector('.message')?.textContent ?? '',
    position: [...e.querySelectorAll('.position')].map((p) => p.textContent).join(' | '),
    commit: e.querySelector('.commit')?.textContent ?? '',
  }))
}

async function upload(page: Page, name: string, options: { exportName?: string; fuel?: number } = {}): Promise<Rendered[]> {
  const before = await runs(page)
  await page.setInputFiles('#wasm-file', BANK_WASM)
  await page.fill('#fn-name', name)
  await page.fill('#fn-export', options.exportName ?? '')
  await page.fill('#fn-fuel', options.fuel === undefined ? '' : String(options.fuel))
  await page.click('#upload')
  await waitForRun(page, before)
  return rendered(page)
}

async function metric(page: Page, name: string): Promise<number> {
  return Number(await page.$eval(`#stats td[data-metric="${name}"]`, (td) => td.textContent))
}

function show(x: unknown): string {
  return JSON.stringify(x)?.slice(0, 1500) ?? String(x)
}

browserTest('console without a token: CREATE TABLE, upload bank.wasm, CALL, results as tables, errors with code and position, live stats', async () => {
  const server = await startServer({ args: ['--partitions', '4', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    await page.waitForFunction(() => (document.getElementById('conn-status') as PageElement).dataset.state === 'open')

    await runSql(page, 'CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;', 'keys')
    let r = await rendered(page)
    assert.is(r.length, 1, show(r))
    assert.match(r[0]!.meta, /rowsAffected 0 · commit \d+\.0/)
    // After the first reply, the header names the server and its version.
    await page.waitForFunction(() => /^acheron \d+\.\d+\.\d+/.test((document.getElementById('server-version') as PageElement).textContent ?? ''))

    r = await upload(page, 'account.transfer')
    assert.match(r[0]!.title, /^CREATE OR REPLACE FUNCTION account\.transfer FROM WASM BASE64 '…' \(bank\.wasm, \d+ bytes\)$/)
    assert.match(r[0]!.meta, /commit \d+\.0/)
    await upload(page, 'account.deposit')
    // EXPORT and FUEL from the form: the same module under another name.
    r = await upload(page, 'account.move', { exportName: 'transfer', fuel: 1_000_000 })
    assert.match(r[0]!.title, /EXPORT 'transfer' WITH \(FUEL = 1000000\)$/)

    await runSql(page, [
      "INSERT INTO account VALUES ('alice', 100), ('bob', 0);",
      "CALL account.transfer('alice', 'bob', 10);",
      "CALL account.move('alice', 'bob', 5);",
      'SELECT id, balance FROM account ORDER BY id;',
      'SHOW FUNCTIONS;',
    ].join('\n'), 'button')
    r = await rendered(page)
    assert.is(r.length, 5, show(r))
    assert.match(r[0]!.meta, /rowsAffected 2 · commit/)
    assert.equal(r[1]!.headers, ['result'])
    assert.equal(r[1]!.rows, [['90']])
    assert.match(r[1]!.title, /^CALL account\.transfer/)
    assert.equal(r[2]!.rows, [['85']])
    assert.equal(r[3]!.headers, ['id', 'balance'])
    assert.equal(r[3]!.rows, [['alice', '85'], ['bob', '15']])
    // A query takes the position right after the batch it read (here, after the move's one transaction).
    assert.match(r[3]!.meta, /^2 rows · rowsAffected 0 · commit \d+\.1$/)
    assert.equal(r[4]!.rows.map((row) => row[0]).sort(), ['account.deposit', 'account.move', 'account.transfer'])

    // A syntax error: code, message, and where (line 2, column 8; statement 2).
    await runSql(page, 'SELECT id FROM account;\nSELECT FROM account;', 'keys')
    let e = await renderedError(page)
    assert.is(e.code, 'SYNTAX_ERROR')
    assert.match(e.message, /expected an expression, found 'FROM'/)
    assert.match(e.position, /line 2, column 8 \(statement 2\)/)

    // A transaction that ran and rolled itself back shows its commit position.
    await runSql(page, "CALL account.transfer('bob', 'alice', 1000);", 'keys')
    e = await renderedError(page)
    assert.is(e.code, 'TXN_ABORTED')
    assert.match(e.message, /insufficient funds/)
    assert.match(e.commit, /^ran at commit \d+\.\d+ and rolled back$/)
    assert.ok(await page.$('#results .explain-commit') !== null, 'a rolled-back CALL offers why?')

    // The stats panel: polled every second; after this traffic it shows it, and the plots are drawn.
    await page.waitForFunction(() => {
      const td = document.querySelector('#stats td[data-metric="aborted_total"]')
      return td !== null && Number(td.textContent) >= 1
    })
    // CREATE TABLE, 3 × CREATE FUNCTION, INSERT, 2 × CALL, SELECT, SHOW FUNCTIONS (reads count too); then the aborted CALL.
    // Plus the page's own catalog reads (SHOW TABLES, SHOW FUNCTIONS, DESCRIBE, on load and after each DDL), which
    // the schema sidebar counts: 3 on load (SHOW TABLES, SHOW FUNCTIONS, SHOW INDEXES), 4 after the CREATE TABLE and after each of the 3 uploads.
    const catalogReads = Number(await page.$eval('#schema-status', (s) => (s as PageElement).dataset.statements))
    assert.is(catalogReads, 3 + 4 + 3 * 4)
    assert.is(await metric(page, 'committed_total'), 9 + catalogReads)
    assert.is(await metric(page, 'aborted_total'), 1)
    assert.ok(await metric(page, 'latency_samples') >= 1, 'the latest transactions were measured (the window is 10 s)')
    assert.ok(await metric(page, 'latency_p99_ms') > 0)
    assert.is(await metric(page, 'connections'), 1, 'the page holds one WebSocket connection')
    const polls = Number(await page.$eval('#stats-status', (s) => (s as PageElement).dataset.polls))
    await page.waitForFunction((n) => Number((document.getElementById('stats-status') as PageElement).dataset.polls) > n + 1, polls)
    const inked = await page.$eval('#plot-throughput', (c) => {
      const canvas = c as PageElement
      const data = (canvas.getContext('2d') as PageElement).getImageData(0, 0, canvas.width, canvas.height).data
      let n = 0
      for (let i = 0; i < data.length; i += 4) if ((data[i + 3] as number) > 0) n++
      return n
    })
    assert.ok(inked > 100, `the throughput plot is drawn (${inked} pixels)`)
    // A query that failed has a position but ran no transaction: no "rolled back", nothing to explain.
    await runSql(page, 'SELECT ABS(-9223372036854775808) FROM account;', 'keys')
    e = await renderedError(page)
    assert.is(e.code, 'CONSTRAINT')
    assert.match(e.commit, /^failed at position \d+\.\d+$/)
    assert.is(await page.$('#results .explain-commit'), null, 'no why? for a query')
    assert.equal(problems, [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

browserTest('console with --token: refused until the token is entered; then SQL and /stats work', async () => {
  const server = await startServer({ args: ['--token', 's3cret', '--workers', '1'] })
  let browser: Browser | null = null
  try {
    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    await page.waitForFunction(() => /unauthorized/.test((document.getElementById('stats-status') as PageElement).textContent ?? ''))

    // No token: the server refuses the first frame and closes the connection.
    await runSql(page, 'SHOW TABLES;', 'keys')
    const e = await page.$eval('#results .error .code', (c) => c.textContent)
    assert.is(e, 'UNAUTHORIZED')

    await page.fill('#token', 's3cret')
    await page.click('#reconnect')
    await page.waitForFunction(() => /token accepted/.test((document.getElementById('conn-status') as PageElement).textContent ?? ''))
    await runSql(page, 'SHOW STATS;', 'button')
    const [stats] = await rendered(page)
    assert.ok(stats !== undefined)
    assert.equal(stats.headers, ['metric', 'value'])
    assert.ok(stats.rows.some((row) => row[0] === 'committed_per_s'), show(stats))
    assert.match(stats.meta, /as of batch \d+ \(not a transaction\)/)
    const connections = stats.rows.find((row) => row[0] === 'connections')
    assert.equal(connections, ['connections', '1'])

    // With the token, /stats answers: the panel fills in.
    await page.waitForFunction(() => document.querySelector('#stats td[data-metric="uptime_s"]') !== null)
    assert.match(await page.$eval('#stats-status', (s) => s.textContent ?? ''), /^updated /)
    assert.equal(problems.filter((p) => !/401/.test(p)), [])
  } finally {
    await browser?.close()
    await server.stop()
  }
})

test.run()
