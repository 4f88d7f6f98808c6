// The operator's HTTP endpoints beside /stats: GET /metrics (SHOW STATS in Prometheus's text format),
// GET /healthz (liveness) and GET /readyz (readiness: 503 and why when the server cannot serve).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../../src/server/server.js'
import { STATS_METRICS } from '../../src/stats/metrics.js'
import { ACHERON_VERSION } from '../../src/version.js'
import { openBank } from '../support/bank.js'
import { refusingVoids } from '../support/refusing-voids.js'
import { startServer, WsClient, type ServerProcess } from '../support/server-process.js'

function httpUrl(s: { host: string; port: number }, path: string): string {
  return `http://${s.host}:${s.port}${path}`
}

interface Exposition {
  readonly types: Map<string, string>
  readonly helps: Map<string, string>
  /** Sample name with its labels as written (`acheron_info{version="…"}`) → value. */
  readonly samples: Map<string, number>
}

/** Parses the text format strictly: every line is a HELP, a TYPE or one sample; anything else fails. */
function parseExposition(body: string): Exposition {
  assert.ok(body.endsWith('\n'), 'the text ends with a line break')
  const types = new Map<string, string>()
  const helps = new Map<string, string>()
  const samples = new Map<string, number>()
  for (const line of body.slice(0, -1).split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (m !== null) {
      helps.set(m[1] as string, m[2] as string)
      continue
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line)
    if (m !== null) {
      assert.not.ok(types.has(m[1] as string), `one TYPE line for ${m[1]}`)
      types.set(m[1] as string, m[2] as string)
      continue
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"\})?) (\S+)$/.exec(line)
    assert.ok(m !== null, `a line of the exposition format: ${JSON.stringify(line)}`)
    const value = Number((m as RegExpExecArray)[2])
    assert.ok(!Number.isNaN(value), `a number: ${line}`)
    samples.set((m as RegExpExecArray)[1] as string, value)
  }
  return { types, helps, samples }
}

test('GET /metrics: every SHOW STATS metric in Prometheus text format, counters as counters, equal to /stats; /healthz and /readyz answer', async () => {
  const s = await startServer()
  try {
    const c = await WsClient.connect(s.url)
    assert.ok((await c.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER);')).ok)
    for (let i = 0; i < 5; i++) assert.ok((await c.sql('INSERT INTO kv VALUES (?, ?);', [i, i])).ok)
    assert.not.ok((await c.sql('INSERT INTO kv VALUES (1, 1);')).ok, 'a duplicate key: one aborted transaction')
    c.terminate()

    const res = await fetch(httpUrl(s, '/metrics'))
    assert.is(res.status, 200)
    assert.is(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    const e = parseExposition(await res.text())
    for (const [name, meaning] of STATS_METRICS) {
      const full = `acheron_${name}`
      assert.ok(e.samples.has(full), `${full} is exposed`)
      assert.is(e.types.get(full), name.endsWith('_total') ? 'counter' : 'gauge', `${full}'s type`)
      assert.is(e.helps.get(full), meaning, `${full}'s help`)
    }
    assert.is(e.samples.get(`acheron_info{version="${ACHERON_VERSION}"}`), 1)
    assert.is(e.types.get('acheron_info'), 'gauge')
    // The same counters /stats gives (nothing ran between the two reads).
    const stats = await (await fetch(httpUrl(s, '/stats'))).json() as Record<string, number>
    for (const name of ['committed_total', 'aborted_total', 'aborted_duplicate_key_total', 'batches_total', 'last_batch']) {
      assert.is(e.samples.get(`acheron_${name}`), stats[name], name)
    }
    assert.ok((e.samples.get('acheron_committed_total') ?? 0) >= 6, 'the CREATE and the five INSERTs committed')
    assert.is(e.samples.get('acheron_aborted_duplicate_key_total'), 1)
    // The latency histogram: cumulative buckets up to +Inf, which is the count of every request timed.
    assert.is(e.types.get('acheron_latency_seconds'), 'histogram')
    const buckets = [...e.samples].filter(([k]) => k.startsWith('acheron_latency_seconds_bucket{'))
    assert.is(buckets.length, 15)
    assert.is(buckets[14]?.[0], 'acheron_latency_seconds_bucket{le="+Inf"}')
    for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i]?.[1] ?? -1) >= (buckets[i - 1]?.[1] ?? 0), 'cumulative')
    const count = e.samples.get('acheron_latency_seconds_count') ?? 0
    assert.is(buckets[14]?.[1], count)
    assert.ok(count >= 7, `the CREATE and the six INSERTs were timed (count ${count})`)
    assert.ok((e.samples.get('acheron_latency_seconds_sum') ?? 0) > 0)

    const health = await fetch(httpUrl(s, '/healthz'))
    assert.is(health.status, 200)
    assert.is(await health.text(), 'ok\n')
    const ready = await fetch(httpUrl(s, '/readyz'))
    assert.is(ready.status, 200)
    assert.is(await ready.text(), 'ready\n')
    assert.is((await fetch(httpUrl(s, '/readyz'), { method: 'HEAD' })).status, 200)
  } finally {
    await s.kill()
  }
})

test('with a token: /metrics asks for it as /stats does; the probes do not (they hold no data)', async () => {
  const s: ServerProcess = await startServer({ args: ['--token', 's3cret'] })
  try {
    const none = await fetch(httpUrl(s, '/metrics'))
    assert.is(none.status, 401)
    assert.is(none.headers.get('www-authenticate'), 'Bearer')
    assert.is((await fetch(httpUrl(s, '/metrics'), { headers: { authorization: 'Bearer nope' } })).status, 401)
    const bearer = await fetch(httpUrl(s, '/metrics'), { headers: { authorization: 'Bearer s3cret' } })
    assert.is(bearer.status, 200)
    assert.ok(parseExposition(await bearer.text()).samples.has('acheron_uptime_s'))
    assert.is((await fetch(httpUrl(s, '/metrics?token=s3cret'))).status, 200)
    assert.is((await fetch(httpUrl(s, '/healthz'))).status, 200)
    assert.is((await fetch(httpUrl(s, '/readyz'))).status, 200)
  } finally {
    await s.kill()
  }
})

test('GET /readyz: 503 and why once the engine stopped, while /healthz still answers (the process is alive)', async () => {
  const db = await openBank({ memory: true, workers: 0, wrapBatchLog: refusingVoids })
  const server = await AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {} })
  const at = { host: '127.0.0.1', port: Number(new URL(server.url).port) }
  try {
    assert.is((await fetch(httpUrl(at, '/readyz'))).status, 200)
    // The runtime's plain error fails the batch whole; its void is refused, so the engine stops.
    await db.call('account.crash', 'alice').catch(() => {})
    const ready = await fetch(httpUrl(at, '/readyz'))
    assert.is(ready.status, 503)
    assert.match(await ready.text(), /^not ready: the engine stopped: .+\n$/)
    assert.is((await fetch(httpUrl(at, '/healthz'))).status, 200)
  } finally {
    await server.close().catch(() => {})
  }
})

test.run()
