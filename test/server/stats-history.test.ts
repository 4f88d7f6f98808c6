// GET /stats/history end to end: on the real CLI (`acheron serve`), the samples after real traffic (totals,
// aborts by code, latencies, one a second), `since`, the token rule of /stats; in process, the ring's bound
// with a small ring and a short interval, and the sampler stopping at close.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'
import { HISTORY_SERIES, STATS_HISTORY_SECONDS, type HistoryJson } from '../../src/stats/history.js'
import { startServer, WsClient, type ServerProcess } from '../support/server-process.js'

const BANK_HEX = readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))).toString('hex')

function httpUrl(s: { host: string; port: number }, path: string): string {
  return `http://${s.host}:${s.port}${path}`
}

async function history(s: ServerProcess, query = '', headers: Record<string, string> = {}): Promise<HistoryJson> {
  const res = await fetch(httpUrl(s, `/stats/history${query}`), { headers })
  assert.is(res.status, 200, `GET /stats/history${query}`)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/)
  return await res.json() as HistoryJson
}

async function until<T>(what: string, f: () => Promise<T | null>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== null) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function last(xs: number[]): number {
  return xs[xs.length - 1] as number
}

test('GET /stats/history: a sample a second with the totals, aborts by code and latencies of real traffic; since; 400 on a bad since', async () => {
  const s = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
  const c = await WsClient.connect(s.url)
  try {
    const startedMs = Date.now()
    const first = await history(s)
    assert.is(first.interval_ms, 1000)
    assert.is(first.samples_max, STATS_HISTORY_SECONDS)
    assert.ok(first.t.length >= 1, 'the baseline sample is taken when the server starts listening')
    assert.equal(Object.keys(first.series), [...HISTORY_SERIES])
    assert.equal(first.aborted_by_code, {})

    await c.ok('CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 2;')
    for (const f of ['deposit', 'transfer']) await c.ok(`CREATE FUNCTION account.${f} FROM WASM X'${BANK_HEX}' EXPORT '${f}';`)
    await c.ok("INSERT INTO account VALUES ('alice', 100), ('bob', 0);")
    for (let i = 0; i < 10; i++) await c.ok("CALL account.transfer('alice', 'bob', 1);")
    const aborted = await c.sql("CALL account.transfer('bob', 'alice', 1000);")
    assert.ok(!aborted.ok && aborted.error.code === 'TXN_ABORTED', JSON.stringify(aborted))
    const doneMs = Date.now()

    // The next sample after the traffic holds all of it.
    const h = await until('a sample with the aborted CALL', async () => {
      const j = await history(s)
      return last(j.series.aborted_total) >= 1 && last(j.t) > doneMs ? j : null
    })
    const n = h.t.length
    for (const name of HISTORY_SERIES) assert.is(h.series[name].length, n, name)
    assert.is(last(h.series.committed_total), 14, 'CREATE TABLE, 2 × CREATE FUNCTION, INSERT, 10 CALLs')
    assert.is(last(h.series.aborted_total), 1)
    assert.equal(Object.keys(h.aborted_by_code), ['TXN_ABORTED'])
    assert.is(last(h.aborted_by_code.TXN_ABORTED!), 1)
    assert.is(h.aborted_by_code.TXN_ABORTED!.length, n)
    assert.is(h.series.latency_samples.reduce((a, b) => a + b, 0), 15, 'every reply is in exactly one sample')
    assert.ok(Math.max(...h.series.latency_p99_ms) > 0)
    assert.ok(Math.max(...h.series.connections) >= 1)
    for (let i = 1; i < n; i++) {
      const dt = (h.t[i] as number) - (h.t[i - 1] as number)
      assert.ok(dt >= 900 && dt <= 3000, `samples about a second apart: ${dt} ms`)
      assert.ok((h.series.committed_total[i] as number) >= (h.series.committed_total[i - 1] as number), 'totals never go down')
    }
    assert.ok((h.t[0] as number) >= startedMs - 30_000 && last(h.t) <= Date.now(), 'unix milliseconds')

    const since = h.t[n - 2] as number
    const newer = await history(s, `?since=${since}`)
    assert.ok(newer.t.length >= 1 && newer.t.every((t) => t > since), JSON.stringify(newer.t))
    assert.is(newer.t[0], last(h.t))
    assert.is(newer.aborted_by_code.TXN_ABORTED![0], 1)
    assert.equal((await history(s, `?since=${Date.now() + 3_600_000}`)).t.length >= n, true, 'a reader ahead of the server starts over')
    for (const bad of ['abc', '-1', '1.5', '9'.repeat(16), '']) {
      const r = await fetch(httpUrl(s, `/stats/history?since=${bad}`))
      assert.is(r.status, 400, `since=${bad}`)
    }
    const head = await fetch(httpUrl(s, '/stats/history'), { method: 'HEAD' })
    assert.is(head.status, 200)
    assert.is(await head.text(), '')
    assert.is((await fetch(httpUrl(s, '/stats/history'), { method: 'POST' })).status, 405)
  } finally {
    c.terminate()
    await s.kill()
  }
})

test('GET /stats/history with --token and --app-token: 401 without or with a wrong token, either token reads it', async () => {
  const s = await startServer({ args: ['--token', 's3cret', '--app-token', 'app1'] })
  try {
    const none = await fetch(httpUrl(s, '/stats/history'))
    assert.is(none.status, 401)
    assert.is(none.headers.get('www-authenticate'), 'Bearer')
    assert.is(((await none.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED')
    assert.is((await fetch(httpUrl(s, '/stats/history'), { headers: { authorization: 'Bearer nope' } })).status, 401)
    assert.is((await fetch(httpUrl(s, '/stats/history?token=nope&since=0'))).status, 401, 'the token is checked before since')
    assert.ok((await history(s, '', { authorization: 'Bearer s3cret' })).t.length >= 1)
    assert.ok((await history(s, '', { authorization: 'Bearer app1' })).t.length >= 1)
    assert.ok((await history(s, '?token=s3cret&since=0')).t.length >= 1)
  } finally {
    await s.kill()
  }
})

test('in process: the ring keeps the newest samplesMax samples; the sampler is unref\'d and stops at close', async () => {
  const db = await open({ memory: true })
  const server = await AcheronServer.listen({
    db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {},
    statsHistory: { samplesMax: 4, intervalMs: 25 },
  })
  const address = new URL(server.consoleUrl)
  const at = { host: address.hostname, port: Number(address.port) }
  let closed = false
  try {
    assert.is(server.statsSampler.running, true)
    assert.is(server.statsSampler.keepsProcessAlive, false)
    await new Promise((r) => setTimeout(r, 300))
    const j = await (await fetch(httpUrl(at, '/stats/history'))).json() as HistoryJson
    assert.is(j.samples_max, 4)
    assert.is(j.interval_ms, 25)
    assert.is(j.t.length, 4, 'full, and no more')
    assert.ok(Date.now() - last(j.t) < 200, 'the newest samples are the ones kept')
    for (let i = 1; i < 4; i++) assert.ok((j.t[i] as number) >= (j.t[i - 1] as number), 'oldest first')
    await server.close()
    closed = true
    assert.is(server.statsSampler.running, false)
    const newest = server.statsSampler.history.newestT
    await new Promise((r) => setTimeout(r, 100))
    assert.is(server.statsSampler.history.newestT, newest, 'no sample after close')
  } finally {
    if (!closed) await server.close()
  }
})

test.run()
