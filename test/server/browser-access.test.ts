// Network access from a real browser (headless Chromium): a page of another origin cannot use the
// visitor's browser to reach a server on this machine (cross-site WebSocket hijacking), while the
// server's own console page still works, over http and over https (--tls-cert); and in the console an
// application token may read and write but its DDL is FORBIDDEN. docs/operations.md "Access".
import { execFileSync } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { browserTest, launchChromium, PAGE_TIMEOUT_MS } from '../support/browser.js'
import { startServer, tempDir, WsClient, type ServerProcess } from '../support/server-process.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PageElement = any
declare const document: { getElementById(id: string): PageElement; querySelector(selector: string): PageElement }
declare const window: { attack: Promise<string[]> }

let browser: Browser | null = null
const servers = new Set<ServerProcess>()
test.before(async () => { browser = await launchChromium() })
test.after(async () => { await browser?.close() })
test.after.each(async () => {
  for (const s of servers) await s.kill()
  servers.clear()
})

async function serve(args: string[]): Promise<ServerProcess> {
  const s = await startServer({ args: ['--workers', '1', ...args] })
  servers.add(s)
  return s
}

/** A page in a context of its own whose clock the test moves (page.clock), collecting the page's errors. */
async function clockedPage(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser!.newContext()
  const page = await context.newPage()
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  await page.clock.install()
  return { context, page, problems }
}

async function runs(page: Page): Promise<number> {
  return Number(await page.$eval('#results', (e) => (e as PageElement).dataset.runs ?? '0'))
}

/** Types the script into the console's editor and runs it (Ctrl-Enter); waits for the run to render. */
async function runSql(page: Page, sql: string): Promise<void> {
  const before = await runs(page)
  await page.click('#sql')
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  await page.keyboard.type(sql)
  await page.keyboard.press('Control+Enter')
  await page.waitForFunction((n) => Number((document.getElementById('results') as PageElement).dataset.runs ?? '0') > n, before)
}

async function firstRows(page: Page): Promise<string[][]> {
  return page.$eval('#results .result', (b) => [...b.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')))
}

async function renderedError(page: Page): Promise<{ code: string; message: string }> {
  return page.$eval('#results .error', (e) => ({ code: e.querySelector('.code')?.textContent ?? '', message: e.querySelector('.message')?.textContent ?? '' }))
}

async function openConsole(url: string, ignoreHTTPSErrors = false): Promise<{ page: Page; problems: string[] }> {
  const context = await browser!.newContext({ ignoreHTTPSErrors })
  const page = await context.newPage()
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  const response = await page.goto(url)
  assert.ok(response !== null && response.ok(), `GET ${url} answers 200`)
  return { page, problems }
}

/** A page on another origin (a second local HTTP server) whose script tries to use Acheron over WebSocket. */
function attackerSite(target: string): Promise<Server & { url: string }> {
  const html = `<!doctype html><title>not Acheron</title><script>
window.attack = new Promise((resolve) => {
  const events = []
  const ws = new WebSocket(${JSON.stringify(target)})
  ws.onopen = () => {
    events.push('open')
    ws.send(JSON.stringify({ id: 1, op: 'sql', sql: 'SELECT * FROM victim;' }))
    ws.send(JSON.stringify({ id: 2, op: 'sql', sql: 'DROP TABLE victim;' }))
  }
  ws.onmessage = (m) => events.push('message ' + m.data)
  ws.onerror = () => events.push('error')
  ws.onclose = (e) => { events.push('close ' + e.code); setTimeout(() => resolve(events), 200) }
  setTimeout(() => resolve(events), 5000)
})
</script>`
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(html)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve(Object.assign(server, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }))
  }))
}

browserTest('a page of another origin cannot read or drop tables of a token-less server; the server\'s own console still works', async () => {
  const s = await serve([])
  const owner = await WsClient.connect(s.url)
  await owner.ok("CREATE TABLE victim (id TEXT PRIMARY KEY, secret TEXT); INSERT INTO victim VALUES ('a', 'do not leak');")
  const site = await attackerSite(`${s.url}/`)
  try {
    const context = await browser!.newContext()
    const page = await context.newPage()
    await page.goto(site.url)
    const events = await page.evaluate(() => window.attack)
    assert.not.ok(events.includes('open'), `the WebSocket never opened: ${JSON.stringify(events)}`)
    assert.not.ok(events.some((e) => e.startsWith('message')), `nothing was read: ${JSON.stringify(events)}`)
    assert.ok(events.includes('error'), JSON.stringify(events))
    await context.close()
  } finally {
    site.close()
  }
  assert.equal((await owner.ok('SELECT secret FROM victim;'))[0]!.rows, [['do not leak']], 'the table survives')
  assert.match(s.stderr(), /origin not allowed/)

  const { page, problems } = await openConsole(`http://${s.host}:${s.port}/`)
  await page.waitForFunction(() => (document.getElementById('conn-status') as PageElement).dataset.state === 'open')
  await runSql(page, 'SELECT secret FROM victim;')
  assert.equal(await firstRows(page), [['do not leak']])
  assert.equal(problems, [])
  await page.context().close()
  await owner.close()
})

browserTest('console with the application token: SELECT and INSERT work, DROP TABLE and CREATE TABLE are FORBIDDEN', async () => {
  const s = await serve(['--admin-token', 'adm-t', '--app-token', 'app-t'])
  const admin = await WsClient.connect(s.url, { headers: { Authorization: 'Bearer adm-t' } })
  await admin.ok('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);')
  const { page, problems } = await openConsole(`http://${s.host}:${s.port}/`)
  // Opened without a token: the sidebar says one is wanted and asks the server nothing it would refuse, so
  // the page shows no error and its connection is not closed by the server.
  await page.waitForFunction(() => Number((document.getElementById('schema-status') as PageElement).dataset.refreshes ?? '0') >= 1)
  assert.match(await page.$eval('#schema-status', (e) => (e as PageElement).textContent ?? ''), /the server wants a token/)
  assert.is(await page.$$eval('#results .error', (es) => es.length), 0, 'no UNAUTHORIZED box on opening the page')
  assert.not.match(await page.$eval('#conn-status', (e) => (e as PageElement).textContent ?? ''), /disconnected/)
  await page.fill('#token', 'app-t')
  await page.click('#reconnect')
  await page.waitForFunction(() => /token accepted/.test((document.getElementById('conn-status') as PageElement).textContent ?? ''))
  // With the token the catalog is read: the sidebar lists the table.
  await page.waitForFunction(() => /1 table/.test((document.getElementById('schema-status') as PageElement).textContent ?? ''))
  await runSql(page, "INSERT INTO kv VALUES ('a', 1);\nSELECT k, v FROM kv;")
  const rows = await page.$$eval('#results .result', (boxes) => boxes.map((b) => [...b.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''))))
  assert.equal(rows[1], [['a', '1']])
  await runSql(page, 'DROP TABLE kv;')
  let e = await renderedError(page)
  assert.is(e.code, 'FORBIDDEN')
  assert.match(e.message, /DROP TABLE needs the admin token/)
  await runSql(page, 'CREATE TABLE other (id INTEGER PRIMARY KEY);')
  e = await renderedError(page)
  assert.is(e.code, 'FORBIDDEN')
  assert.equal((await admin.ok('SHOW TABLES;'))[0]!.rows.map((r) => r[0]), ['kv'])
  assert.equal(problems, [])
  await page.context().close()
  await admin.close()
})

browserTest('console over https (--tls-cert/--tls-key): the page loads and talks wss:// to its own server', async () => {
  const { dir } = tempDir()
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
  const s = await serve(['--tls-cert', cert, '--tls-key', key])
  assert.match(s.url, /^wss:\/\//)
  const { page, problems } = await openConsole(`https://${s.host}:${s.port}/`, true)
  await page.waitForFunction(() => (document.getElementById('conn-status') as PageElement).dataset.state === 'open')
  await runSql(page, "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);\nINSERT INTO kv VALUES ('x', 7);\nSELECT v FROM kv;")
  const rows = await page.$$eval('#results .result', (boxes) => boxes.map((b) => [...b.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''))))
  assert.equal(rows[2], [['7']])
  assert.equal(problems, [])
  await page.context().close()
})

browserTest('console with tokens but none entered: one message asks for it; a refused token replaces the old boxes; nothing "may or may not have run"', async () => {
  const s = await serve(['--admin-token', 'adm-t', '--app-token', 'app-t'])
  const { page, problems } = await openConsole(`http://${s.host}:${s.port}/`)
  // The header does not say "connected" while a token is needed.
  await page.waitForFunction(() => (document.getElementById('conn-status') as PageElement).dataset.state === 'token')
  assert.match(await page.$eval('#conn-status', (e) => (e as PageElement).textContent ?? ''), /token needed/)
  const boxes = (): Promise<{ code: string; message: string }[]> => page.$$eval('#results .error', (es) => es.map((e) => ({
    code: e.querySelector('.code')?.textContent ?? '', message: e.querySelector('.message')?.textContent ?? '',
  })))
  // Run without the token: one box, in the console's words, and not the outcome-unknown CONNECTION one.
  await runSql(page, 'SHOW TABLES;')
  let shown = await boxes()
  assert.is(shown.length, 1, JSON.stringify(shown))
  assert.is(shown[0]!.code, 'UNAUTHORIZED')
  assert.match(shown[0]!.message, /needs a token: enter it/)
  assert.not.match(shown[0]!.message, /first frame|may or may not/)
  // A wrong token (Enter in the field reconnects): the refusal replaces that box.
  await page.fill('#token', 'wrong')
  await page.press('#token', 'Enter')
  await page.waitForFunction(() => /token refused/.test((document.getElementById('conn-status') as PageElement).textContent ?? ''))
  await page.waitForFunction(() => /wrong token/.test((document.getElementById('results') as PageElement).textContent ?? ''))
  shown = await boxes()
  assert.is(shown.length, 1, JSON.stringify(shown))
  assert.match(shown[0]!.message, /refused the token: wrong token/)
  // Run with the wrong token: again one box, the refusal, since nothing ran.
  await runSql(page, 'SHOW TABLES;')
  shown = await boxes()
  assert.is(shown.length, 1, JSON.stringify(shown))
  assert.is(shown[0]!.code, 'UNAUTHORIZED')
  assert.match(shown[0]!.message, /wrong token/)
  // The right token: the refusal goes, and scripts run.
  await page.fill('#token', 'app-t')
  await page.click('#reconnect')
  await page.waitForFunction(() => /token accepted/.test((document.getElementById('conn-status') as PageElement).textContent ?? ''))
  assert.equal(await boxes(), [])
  await runSql(page, 'SELECT 1 AS one;')
  assert.equal(await firstRows(page), [['1']])
  assert.equal(problems, [])
  await page.context().close()
})

browserTest('the server goes away: a Run says nothing was sent (not "may or may not have run"); it comes back on its port and Run reconnects', async () => {
  const s = await serve([])
  const { page, problems } = await openConsole(`http://${s.host}:${s.port}/`)
  await page.waitForFunction(() => (document.getElementById('conn-status') as PageElement).dataset.state === 'open')
  await runSql(page, 'CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);')
  await page.waitForFunction(() => /^acheron /.test((document.getElementById('server-version') as PageElement).textContent ?? ''))
  await s.stop()
  await page.waitForFunction(() => (document.getElementById('conn-status') as PageElement).dataset.state === 'closed')
  // No server, no version beside the status (the one that comes back says its own).
  assert.is(await page.$eval('#server-version', (e) => (e as PageElement).textContent), '')
  // Nothing listens: the page cannot connect, and says that the script was not sent.
  await runSql(page, 'SELECT * FROM t;')
  const shown = await renderedError(page)
  assert.is(shown.code, 'CONNECTION')
  assert.match(shown.message, new RegExp(`^could not connect to ws://${s.host}:${s.port}/ \\(\\d+\\): is the server running\\? Nothing was sent`))
  assert.not.match(shown.message, /may or may not/)
  assert.match(await page.$eval('#run-status', (e) => (e as PageElement).textContent ?? ''), /^not sent/)
  assert.match(await page.$eval('#conn-status', (e) => (e as PageElement).textContent ?? ''), /^cannot connect/)
  // The same server again, on its port and data: Run connects and the row is there.
  servers.add(await startServer({ dataDir: s.dataDir, args: ['--workers', '1', '--port', String(s.port)] }))
  await runSql(page, 'SELECT * FROM t;')
  assert.equal(await firstRows(page), [['1']])
  await page.waitForFunction(() => /^acheron /.test((document.getElementById('server-version') as PageElement).textContent ?? ''))
  assert.equal(problems, [])
  await page.context().close()
})

browserTest('the server restarts with another catalog: the first connection after the lost one reads the catalog again', async () => {
  const s = await serve([])
  const { page, problems } = await openConsole(`http://${s.host}:${s.port}/`)
  await page.waitForFunction(() => (document.getElementById('conn-status') as PageElement).dataset.state === 'open')
  await runSql(page, 'CREATE TABLE gone (id INTEGER PRIMARY KEY);')
  await page.waitForFunction(() => document.querySelector('#schema-tables li[data-table="gone"]') !== null)
  await s.stop()
  await page.waitForFunction(() => (document.getElementById('conn-status') as PageElement).dataset.state === 'closed')
  // Another server on the same port, with an empty data directory and a table of its own.
  const other = await startServer({ args: ['--workers', '1', '--port', String(s.port)] })
  servers.add(other)
  const client = await WsClient.connect(other.url)
  try {
    assert.ok((await client.sql('CREATE TABLE fresh (id INTEGER PRIMARY KEY);')).ok)
  } finally {
    client.terminate()
  }
  await runSql(page, 'SELECT 1;')
  await page.waitForFunction(() => document.querySelector('#schema-tables li[data-table="fresh"]') !== null)
  assert.equal(await page.$$eval('#schema-tables li.table', (lis) => lis.map((li) => (li as PageElement).dataset.table)), ['fresh'])
  assert.equal(problems, [])
  await page.context().close()
})

browserTest('a server that wants a token: the stats panel does not ask /stats every second with no token; the token entered, it does', async () => {
  const s = await serve(['--admin-token', 'adm-t'])
  // The page's clock is the test's: ten seconds of its timer pass at once, whatever this machine's speed.
  const { context, page, problems } = await clockedPage()
  const asked: string[] = []
  page.on('request', (r) => {
    const url = new URL(r.url())
    if (url.pathname.startsWith('/stats')) asked.push(`${r.method()} ${url.pathname}${url.search}`)
  })
  const response = await page.goto(`http://${s.host}:${s.port}/`)
  assert.ok(response !== null && response.ok())
  await page.waitForFunction(() => /^unauthorized/.test((document.getElementById('stats-status') as PageElement).textContent ?? ''))
  const before = asked.length
  await page.clock.runFor(10_000)
  // A request of the test's own marks the end of what the page asked in those ten seconds.
  // (Its request event comes in order with the page's, before the reply the evaluate waits for.)
  await page.evaluate(() => fetch('/stats?probe=1', { method: 'HEAD' }).then(() => undefined))
  assert.ok(asked.includes('HEAD /stats?probe=1'), JSON.stringify(asked))
  const polled = asked.slice(before, asked.indexOf('HEAD /stats?probe=1'))
  assert.equal(polled, [], 'no poll with the token /stats refused')
  assert.match(await page.$eval('#stats-status', (e) => (e as PageElement).textContent ?? ''), /^unauthorized: enter the token, then Connect$/)
  // The token entered (Enter connects): the panel asks at once and fills its table.
  await page.fill('#token', 'adm-t')
  await page.press('#token', 'Enter')
  await page.waitForFunction(() => document.querySelector('#stats td[data-metric="uptime_s"]') !== null)
  assert.equal(problems, [])
  await context.close()
})

browserTest('a server that goes away: the stats panel polls ever less often (up to its maximum), and every second again once the server answers', async () => {
  const s = await serve([])
  const { context, page, problems } = await clockedPage()
  /** The fake second (counted from the server's stop) of each GET /stats the page sent: one per poll. */
  const polledAt: number[] = []
  let second = 0
  page.on('request', (r) => {
    const url = new URL(r.url())
    if (r.method() === 'GET' && url.pathname === '/stats' && url.search === '') polledAt.push(second)
  })
  const response = await page.goto(`http://${s.host}:${s.port}/`)
  assert.ok(response !== null && response.ok())
  await page.waitForFunction(() => document.querySelector('#stats td[data-metric="uptime_s"]') !== null)
  // From here on the page's time moves only when the test moves it.
  await page.clock.pauseAt(await page.evaluate(() => Date.now()) + 1000)
  /** One fake second, then until what the page sent in it is answered or failed. */
  const tick = async (): Promise<void> => {
    second++
    await page.clock.runFor(1000)
    // A request of the test's own comes after the page's (their events in order), and fails or answers after them.
    await page.evaluate((n) => fetch(`/stats?probe=${n}`, { method: 'HEAD' }).then(() => undefined, () => undefined), second)
    await page.evaluate(() => undefined)
  }
  await s.stop()
  polledAt.length = 0
  const DOWN_S = 100
  while (second < DOWN_S) await tick()
  await page.waitForFunction(() => /^unreachable/.test((document.getElementById('stats-status') as PageElement).textContent ?? ''))
  // Every second that is 100 polls; backing off from 1 s, doubling to at most 30 s, it is 7: at 1, 3, 7, 15, 31, 61, 91.
  assert.ok(polledAt.length <= 8, `polls while the server was down, at seconds ${JSON.stringify(polledAt)}`)
  const gaps = polledAt.slice(1).map((t, i) => t - (polledAt[i] as number))
  // Quiet, the gaps are exactly 2, 4, 8, 16, 30, 30. A failed poll is seen by the page only once the real
  // connection attempt fails, while the test's fake seconds go on; on a busy machine the back-off may start a
  // step ahead (a poll met the stop itself) or a gap come out a second or two long. What must hold: from a
  // small first gap, the gaps grow (doubling), and end at the cap, never much past it.
  const shown = `polls at seconds ${JSON.stringify(polledAt)}, gaps ${JSON.stringify(gaps)}`
  assert.ok(gaps.length >= 4, shown)
  assert.ok((gaps[0] as number) <= 5, `a small first gap: ${shown}`)
  for (let i = 1; i < gaps.length; i++) {
    const g = gaps[i] as number
    const before = gaps[i - 1] as number
    assert.ok(g >= Math.min(2 * before, 30) - 3 && g <= Math.min(2 * before, 30) + 3, `each gap doubles the one before, up to 30 s: ${shown}`)
  }
  assert.ok(Math.abs((gaps[gaps.length - 1] as number) - 30) <= 3, `the last gaps at the cap, 30 s: ${shown}`)
  // The server back (on the same port): the next poll finds it, and from then on the panel polls every second.
  const again = await startServer({ args: ['--workers', '1', '--port', String(s.port)] })
  servers.add(again)
  const upAt = second
  const pollsBefore = polledAt.length
  while (second < upAt + 30 && !/^updated/.test(await page.$eval('#stats-status', (e) => (e as PageElement).textContent ?? ''))) await tick()
  assert.match(await page.$eval('#stats-status', (e) => (e as PageElement).textContent ?? ''), /^updated/)
  assert.is(polledAt.length, pollsBefore + 1, `polls at seconds ${JSON.stringify(polledAt)}`)
  const backAt = second
  for (let i = 0; i < 3; i++) await tick()
  assert.equal(polledAt.slice(pollsBefore), [backAt, backAt + 1, backAt + 2, backAt + 3], `polls at seconds ${JSON.stringify(polledAt)}`)
  assert.equal(problems, [])
  await context.close()
})

test.run()
