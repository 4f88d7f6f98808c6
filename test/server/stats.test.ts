// `acheron serve`'s HTTP side and operations, end to end on the real CLI: the console's static files and
// their headers, GET /stats with and without a token, SHOW STATS over the wire, the connection limit
// (ACHERON_CONNECTIONS_MAX), and the pino JSON log lines on stderr.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from '../../src/index.js'
import { STATS_METRICS } from '../../src/stats/metrics.js'
import { startServer, WsClient, type Reply, type ServerProcess, type WireResult } from '../support/server-process.js'

const METRIC_NAMES = STATS_METRICS.map(([name]) => name)

function httpUrl(s: ServerProcess, path = '/'): string {
  return `http://${s.host}:${s.port}${path}`
}

function show(x: unknown): string {
  return JSON.stringify(x)?.slice(0, 1500) ?? String(x)
}

function ok(r: Reply, what: string): WireResult[] {
  if (!r.ok) throw new Error(`${what}: expected ok, got ${show(r)}`)
  return r.results
}

function metrics(r: WireResult): Record<string, number> {
  return Object.fromEntries(r.rows as [string, number][])
}

/** The log lines on stderr, parsed; fails on a line that is not one JSON object. */
function logLines(s: ServerProcess): Record<string, unknown>[] {
  return s.stderr().split('\n').filter((l) => l !== '').map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>
    } catch {
      throw new Error(`a stderr line that is not JSON: ${JSON.stringify(l)}`)
    }
  })
}

async function until<T>(what: string, f: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== null) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('HTTP: GET / is the console (HTML, strict CSP), its script and style; 404, 405; /stats has every metric', async () => {
  const s = await startServer()
  try {
    const page = await fetch(httpUrl(s))
    assert.is(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /^text\/html; charset=utf-8$/)
    const csp = page.headers.get('content-security-policy') ?? ''
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(d), `CSP has ${d}: ${csp}`)
    }
    assert.is(page.headers.get('x-content-type-options'), 'nosniff')
    const html = await page.text()
    assert.match(html, /<script src="\/console\.js" defer><\/script>/)
    assert.not.match(html, /<script>|style="|https?:\/\//, 'no inline script or style, nothing from elsewhere')

    const js = await fetch(httpUrl(s, '/console.js'))
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/)
    assert.match(await js.text(), /new WebSocket\(/)
    const css = await fetch(httpUrl(s, '/console.css'))
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/)
    const head = await fetch(httpUrl(s), { method: 'HEAD' })
    assert.is(head.status, 200)
    assert.is(await head.text(), '')

    const missing = await fetch(httpUrl(s, '/etc/passwd'))
    assert.is(missing.status, 404)
    const dotdot = await fetch(httpUrl(s, '/../package.json'))
    assert.is(dotdot.status, 404)
    const post = await fetch(httpUrl(s), { method: 'POST', body: 'x' })
    assert.is(post.status, 405)
    assert.is(post.headers.get('allow'), 'GET, HEAD')

    const stats = await fetch(httpUrl(s, '/stats'))
    assert.is(stats.status, 200)
    assert.match(stats.headers.get('content-type') ?? '', /^application\/json/)
    const body = await stats.json() as Record<string, unknown>
    assert.equal(Object.keys(body), METRIC_NAMES)
    for (const n of METRIC_NAMES) assert.type(body[n], 'number', n)

    // The WebSocket protocol still answers at the same URL.
    const c = await WsClient.connect(s.url)
    ok(await c.sql('SHOW TABLES;'), 'SHOW TABLES')
    c.terminate()
  } finally {
    await s.kill()
  }
})

test('GET /stats with --token: 401 without or with a wrong token; Bearer header and ?token= work; the page itself is public', async () => {
  const s = await startServer({ args: ['--token', 's3cret'] })
  try {
    const none = await fetch(httpUrl(s, '/stats'))
    assert.is(none.status, 401)
    assert.is(none.headers.get('www-authenticate'), 'Bearer')
    assert.equal(((await none.json()) as { error: { code: string; message: string } }).error, { code: 'UNAUTHORIZED', message: 'send the token as "Authorization: Bearer T" or ?token=T' })
    const wrong = await fetch(httpUrl(s, '/stats'), { headers: { authorization: 'Bearer nope' } })
    assert.is(wrong.status, 401)
    // Said as the WebSocket says it (it said how to send a token, as if none had been sent).
    assert.is(((await wrong.json()) as { error: { message: string } }).error.message, 'wrong token')
    assert.is((await fetch(httpUrl(s, '/stats?token=nope'))).status, 401)
    assert.is((await fetch(httpUrl(s, '/stats'), { headers: { authorization: 's3cret' } })).status, 401, 'the header needs "Bearer "')
    const bearer = await fetch(httpUrl(s, '/stats'), { headers: { authorization: 'Bearer s3cret' } })
    assert.is(bearer.status, 200)
    assert.type(((await bearer.json()) as Record<string, unknown>).uptime_s, 'number')
    assert.is((await fetch(httpUrl(s, '/stats?token=s3cret'))).status, 200)
    assert.is((await fetch(httpUrl(s))).status, 200, 'the console page holds no data')
  } finally {
    await s.kill()
  }
})

test('SHOW STATS over the wire: rates and latencies after traffic, connections and requests in flight; no batch taken', async () => {
  const s = await startServer({ args: ['--workers', '1'] })
  const clients: WsClient[] = []
  try {
    const a = await WsClient.connect(s.url)
    const b = await WsClient.connect(s.url)
    clients.push(a, b)
    ok(await a.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0);'), 'CREATE TABLE')
    await Promise.all(Array.from({ length: 100 }, (_, i) => a.sql('INSERT INTO kv VALUES (?, ?);', [i, i])).map(async (p) => ok(await p, 'INSERT')))
    const dup = await a.sql('INSERT INTO kv VALUES (1, 1);')
    assert.ok(!dup.ok && dup.error.code === 'DUPLICATE_KEY', show(dup))

    const [r] = ok(await b.sql('SHOW STATS;'), 'SHOW STATS')
    assert.ok(r !== undefined)
    assert.equal(r.columns, ['metric', 'value'])
    assert.equal(r.rows.map((row) => row[0]), METRIC_NAMES)
    const m = metrics(r)
    assert.is(m.committed_total, 101)
    assert.is(m.aborted_total, 1)
    assert.ok(m.committed_per_s! > 0 && m.txns_per_s! >= m.committed_per_s!, show(m))
    assert.ok(m.batches_total! >= 2 && m.batches_total! <= 102, show(m))
    assert.ok(m.batch_size_mean! >= 1, show(m))
    assert.ok(m.fallback_share! >= 0 && m.fallback_share! <= 1, show(m))
    // 102 submits (CREATE, 100 INSERTs, the duplicate), unless a slow machine let some age out of the 10 s window.
    assert.ok(m.latency_samples! >= 1 && m.latency_samples! <= 102, show(m))
    assert.ok(m.latency_p50_ms! > 0 && m.latency_p50_ms! <= m.latency_p95_ms! && m.latency_p95_ms! <= m.latency_p99_ms! && m.latency_p99_ms! <= m.latency_max_ms!, show(m))
    assert.is(m.connections, 2)
    assert.is(m.requests_in_flight, 1, 'SHOW STATS itself')
    assert.is(m.txns_in_flight, 0)
    assert.is(r.commit.seq, -1, 'not a transaction')
    assert.is(r.commit.batch, m.last_batch)

    // It takes no batch: the last batch does not move.
    const [again] = ok(await b.sql('show stats'), 'SHOW STATS again')
    assert.is(metrics(again!).last_batch, m.last_batch)
    const inTxn = await b.sql('BEGIN; SHOW STATS; COMMIT;')
    assert.ok(!inTxn.ok && inTxn.error.code === 'SYNTAX_ERROR' && inTxn.error.column === 8, show(inTxn))

    // The remote SDK's query() takes it too.
    const sdk = await connect(s.url)
    try {
      const q = await sdk.query('SHOW STATS')
      assert.equal(q.columns, ['metric', 'value'])
      assert.is(q.commit.seq, -1)
      assert.is(metrics({ ...r, rows: q.rows }).connections, 3)
    } finally {
      await sdk.close()
    }

    // A closed connection leaves the count.
    a.terminate()
    await until('connections back to 1', async () => {
      const [x] = ok(await b.sql('SHOW STATS'), 'SHOW STATS')
      return metrics(x!).connections === 1 ? true : null
    })
  } finally {
    for (const c of clients) c.terminate()
    await s.kill()
  }
})

test('connection limit (ACHERON_CONNECTIONS_MAX=2): a third gets OVERLOADED and is closed (1013); the two go on; a freed slot is reused', async () => {
  const s = await startServer({ env: { ACHERON_CONNECTIONS_MAX: '2' } })
  const clients: WsClient[] = []
  try {
    const a = await WsClient.connect(s.url)
    const b = await WsClient.connect(s.url)
    clients.push(a, b)
    ok(await a.sql('SHOW TABLES;'), 'a')
    ok(await b.sql('SHOW TABLES;'), 'b')
    for (let i = 0; i < 3; i++) {
      const extra = await WsClient.connect(s.url)
      clients.push(extra)
      const refusal = await extra.waitFor((m) => (m as { ok?: unknown }).ok === false, 5000, 'the OVERLOADED refusal') as { id: unknown; error: { code: string; message: string; retryable?: unknown } }
      assert.is(refusal.id, null)
      assert.is(refusal.error.code, 'OVERLOADED')
      // As every OVERLOADED says (docs/protocol.md); this one did not.
      assert.is(refusal.error.retryable, true)
      assert.match(refusal.error.message, /at most 2 connections/)
      const closed = await extra.closedWithin(5000)
      assert.is(closed?.code, 1013, show(closed))
    }
    // Refused connections never counted: the two are served.
    ok(await a.sql('SHOW TABLES;'), 'a after the refusals')
    const [st] = ok(await b.sql('SHOW STATS;'), 'b')
    assert.is(metrics(st!).connections, 2)

    // One leaves: a newcomer gets its slot (once the server has seen the close).
    await a.close()
    const c = await until('a free slot', async () => {
      const x = await WsClient.connect(s.url)
      clients.push(x)
      const r = await x.sql('SHOW TABLES;').catch(() => null)
      return r !== null && r.ok ? x : null
    })
    ok(await c.sql('SHOW TABLES;'), 'the newcomer')
    const refusedLogs = logLines(s).filter((l) => l.msg === 'connection refused')
    assert.is(refusedLogs.length >= 3, true, show(logLines(s)))
    assert.is(refusedLogs[0]!.level, 'warn')
  } finally {
    for (const c of clients) c.terminate()
    await s.kill()
  }
})

test('logs: stderr is JSON lines (pino: level, time, msg), stdout only the ready line; SIGTERM logs and exits 0', async () => {
  const s = await startServer()
  try {
    const c = await WsClient.connect(s.url)
    ok(await c.sql('SHOW TABLES;'), 'SHOW TABLES')
    c.terminate()
    const exit = await s.stop('SIGTERM')
    assert.equal(exit, { code: 0, signal: null })
    assert.is(s.stdout(), s.readyLine + '\n')
    const lines = logLines(s)
    for (const l of lines) {
      assert.type(l.level, 'string', show(l))
      assert.match(String(l.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.type(l.msg, 'string')
      assert.type(l.pid, 'number')
    }
    const msgs = lines.map((l) => l.msg)
    const listening = lines.find((l) => l.msg === 'listening')
    assert.ok(listening !== undefined, show(lines))
    assert.is(listening.url, s.url)
    assert.is(listening.console, `http://${s.host}:${s.port}/`)
    assert.ok(msgs.includes('SIGTERM: finishing the batch in flight, then exiting'), show(msgs))
    assert.is(msgs[msgs.length - 1], 'stopped')
  } finally {
    await s.kill()
  }
})

test.run()
