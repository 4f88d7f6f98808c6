// The console's plots in headless Chromium: the page loads the server's history when it opens, so a reload
// shows the minutes before it; aborts appear by reason after an aborting CALL; the plots are drawn with
// their legends. Traffic goes over the WebSocket protocol from the test (not through the page's editor),
// so this file watches the plots only. Screenshots go to dist/screenshots/plots-*.png for a person.
import { mkdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { browserTest, launchChromium, PAGE_TIMEOUT_MS } from '../support/browser.js'
import { startServer, WsClient, type ServerProcess } from '../support/server-process.js'

// Functions passed to page.$eval / waitForFunction run in the browser; this project compiles without the
// DOM library, so the few DOM names they use are declared here, loosely, for this file only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PageElement = any
declare const document: { getElementById(id: string): PageElement; querySelector(selector: string): PageElement }

const BANK_HEX = readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))).toString('hex')
const SCREENSHOTS = fileURLToPath(new URL('../../screenshots/', import.meta.url))
/** TXN_ABORTED's colour in plots.js, as RGB. */
const TXN_ABORTED_RGB = [0xb4, 0x23, 0x18] as const

async function openConsole(browser: Browser, server: ServerProcess): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  page.setDefaultTimeout(PAGE_TIMEOUT_MS)
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`) })
  const response = await page.goto(`http://${server.host}:${server.port}/`)
  assert.ok(response !== null && response.ok(), 'GET / answers 200')
  return { page, problems }
}

async function data(page: Page, id: string, key: string): Promise<string | undefined> {
  return page.$eval(`#${id}`, (e, k) => (e as PageElement).dataset[k as string], key)
}

/** The legend entries under a plot: their series names. */
async function legend(page: Page, id: string): Promise<string[]> {
  return page.$$eval(`#${id} + ul.legend li`, (lis) => lis.map((li) => (li as PageElement).dataset.series ?? `(${li.textContent})`))
}

/** Pixels of the plot in `rgb` (give or take a little antialiasing). */
async function pixelsOf(page: Page, id: string, rgb: readonly number[]): Promise<number> {
  return page.$eval(`#${id}`, (c, want: number[]) => {
    const canvas = c as PageElement
    const d = (canvas.getContext('2d') as PageElement).getImageData(0, 0, canvas.width, canvas.height).data
    let n = 0
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = want as [number, number, number]
      if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 12 && d[i + 3] > 200) n++
    }
    return n
  }, [...rgb])
}

async function waitForPolls(page: Page, more: number): Promise<void> {
  const polls = Number(await data(page, 'stats-status', 'polls') ?? '0')
  await page.waitForFunction(([n, m]) => Number((document.getElementById('stats-status') as PageElement).dataset.polls ?? '0') >= (n as number) + (m as number), [polls, more])
}

browserTest('plots: history survives a reload; aborts by reason after an aborting CALL; drawn with legends', async () => {
  const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  const c = await WsClient.connect(server.url)
  let browser: Browser | null = null
  try {
    await c.ok('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 2;')
    for (const f of ['deposit', 'transfer']) await c.ok(`CREATE FUNCTION account.${f} FROM WASM X'${BANK_HEX}' EXPORT '${f}';`)
    await c.ok("INSERT INTO account VALUES ('alice', 1000), ('bob', 0);")

    browser = await launchChromium()
    const { page, problems } = await openConsole(browser, server)
    await waitForPolls(page, 2)
    assert.equal(await legend(page, 'plot-aborts'), ['(no aborts in view)'], 'no abort yet')
    assert.equal(await legend(page, 'plot-throughput'), ['committed', 'aborted'])
    assert.equal(await legend(page, 'plot-latency'), ['p50', 'p99'])
    assert.is(await pixelsOf(page, 'plot-aborts', TXN_ABORTED_RGB), 0)

    // Traffic for a few seconds, then a CALL that rolls itself back (insufficient funds): TXN_ABORTED.
    for (let i = 0; i < 3; i++) {
      await Promise.all(Array.from({ length: 20 }, () => c.ok("CALL account.transfer('alice', 'bob', 1);")))
      await new Promise((r) => setTimeout(r, 700))
    }
    const aborted = await c.sql("CALL account.transfer('bob', 'alice', 100000);")
    assert.ok(!aborted.ok && aborted.error.code === 'TXN_ABORTED', JSON.stringify(aborted))
    await page.waitForFunction(() => document.querySelector('#plot-aborts + ul.legend li[data-series="TXN_ABORTED"]') !== null)
    await waitForPolls(page, 2)
    assert.equal(await legend(page, 'plot-aborts'), ['TXN_ABORTED'])
    assert.is(await data(page, 'plot-aborts', 'series'), 'TXN_ABORTED')
    assert.ok(await pixelsOf(page, 'plot-aborts', TXN_ABORTED_RGB) > 20, 'the TXN_ABORTED band is drawn')
    assert.ok(Number(await data(page, 'plot-throughput', 'yTop')) >= 10, 'the committed rate (about 20/s) sets the axis')
    // Axes: 0 and 1-2-5 steps up; clock labels a round step apart (a minute of history: 15 s or so).
    const yTicks = (await data(page, 'plot-throughput', 'yTicks'))!.split(' ').map(Number)
    assert.is(yTicks[0], 0)
    const step = yTicks[1]! - yTicks[0]!
    assert.ok([1, 2, 5, 10, 20, 50, 100].includes(step), `y step ${step}: ${yTicks}`)
    yTicks.forEach((v, i) => assert.is(v, i * step))
    const xTicks = (await data(page, 'plot-aborts', 'xTicks'))!.split(' ')
    assert.ok(xTicks.length >= 2, `clock labels: ${xTicks}`)
    for (const label of xTicks) assert.match(label, /^\d\d:\d\d(:\d\d)?$/)
    const seconds = xTicks.map((l) => l.split(':').map(Number)).map(([h, m, s]) => h! * 3600 + m! * 60 + (s ?? 0))
    const xStep = (seconds[1]! - seconds[0]! + 86_400) % 86_400 // across midnight too
    assert.ok([1, 2, 5, 10, 15, 30, 60].includes(xStep), `x step ${xStep} s: ${xTicks}`)
    for (const s of seconds) assert.is(s % xStep, 0, `${xTicks} fall on round times`)
    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: `${SCREENSHOTS}plots-before-reload.png`, fullPage: true })
    const before = Number(await data(page, 'plot-throughput', 'points'))
    assert.ok(before >= 5, `samples before the reload: ${before}`)

    // A reload: the first load brings the server's samples, the abort among them.
    await page.reload()
    await page.waitForFunction(() => (document.getElementById('plot-throughput') as PageElement).dataset.loaded !== undefined)
    const loaded = Number(await data(page, 'plot-throughput', 'loaded'))
    assert.ok(loaded >= before, `the reloaded page starts with the server's history: ${loaded} samples, ${before} before`)
    assert.equal(await legend(page, 'plot-aborts'), ['TXN_ABORTED'])
    assert.ok(await pixelsOf(page, 'plot-aborts', TXN_ABORTED_RGB) > 20, 'the abort is drawn again after the reload')
    assert.ok(Number(await data(page, 'plot-throughput', 'yTop')) >= 10, 'and the committed rates')
    await page.screenshot({ path: `${SCREENSHOTS}plots-after-reload.png`, fullPage: true })
    await page.locator('section.stats').screenshot({ path: `${SCREENSHOTS}plots-panel.png` })
    assert.equal(problems, [])
  } finally {
    c.terminate()
    await browser?.close()
    await server.stop()
  }
})

test.run()
