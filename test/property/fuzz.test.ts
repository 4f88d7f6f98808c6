// Fuzzing a real `acheron serve` with fast-check, as a careless or hostile client would: arbitrary and
// mutated wire frames, SQL statements mutated from the examples of docs/sql.md, and WebAssembly modules
// mutated from the bank example. Every answer must be a reply with a documented error code (or a close
// with a documented close code), never INTERNAL; the server stays up; and a client doing transfers the
// whole time sees every one of them succeed.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ERROR_CODES } from '../../src/errors.js'
import { ConnectionClosed, startServer, WsClient, type Reply, type ServerProcess } from '../support/server-process.js'

const ROOT = new URL('../../../', import.meta.url).pathname
const BANK = readFileSync(join(ROOT, 'dist', 'guest', 'bank.wasm'))
/** Close codes the server documents (docs/protocol.md, docs/operations.md). */
const CLOSE_CODES = new Set([1000, 1001, 1008, 1009, 1011, 1013])
const KNOWN = new Set<string>(ERROR_CODES)
const SEED = Number(process.env.FUZZ_SEED ?? 20261130)
/** FUZZ_SCALE=10 runs ten times as many inputs (for a longer hunt, or to watch the server's memory). */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1)

/** The server process's resident memory in MiB (Linux), to see whether fuzzing makes it grow. */
function serverRssMiB(): number {
  try {
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8')
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024)
  } catch {
    return NaN
  }
}
let rssBefore = NaN
const ACCOUNTS = 50

let server: ServerProcess
let fuzzer: WsClient
let stopTransfers = false
let transfers: Promise<{ ok: number; failed: string[] }>

/** A table and functions the fuzzed statements cannot name (no corpus statement mentions them). */
async function startTransfers(url: string): Promise<{ ok: number; failed: string[] }> {
  const c = await WsClient.connect(url)
  let ok = 0
  const failed: string[] = []
  let i = 0
  while (!stopTransfers) {
    const r = await c.request({ op: 'call', fn: 'zz_sentinel.deposit', key: i++ % ACCOUNTS, args: [1] }, 60_000)
    if (r.ok) ok++
    else failed.push(`${r.error.code}: ${r.error.message}`)
  }
  await c.close()
  return { ok, failed }
}

/** Id of the probe that follows each fuzzed frame: its reply shows the connection still serves. */
const PROBE_ID = 987_654_321

/**
 * Sends `frame` on a fresh connection, then a probe request. Resolves with every reply that came before
 * the probe's (a frame without a numeric id may get none: nobody could match it), or with the close code
 * if the server closed the connection instead.
 */
async function answer(frame: string): Promise<{ replies: Record<string, unknown>[]; closed?: number }> {
  const c = await WsClient.connect(server.url)
  const replies: Record<string, unknown>[] = []
  try {
    c.sendRaw(frame)
    c.sendRaw(JSON.stringify({ id: PROBE_ID, op: 'sql', sql: 'SELECT 1' }))
    await c.waitFor((m) => {
      const r = m as Record<string, unknown>
      if (r.id === PROBE_ID) return true
      replies.push(r)
      return false
    }, 30_000, 'the probe\'s reply after a fuzzed frame')
    return { replies }
  } catch (e) {
    if (e instanceof ConnectionClosed) return { replies, closed: e.code }
    if (c.closeInfo !== null) return { replies, closed: c.closeInfo.code }
    throw e
  } finally {
    c.terminate()
  }
}

/** Answers seen per kind of input, printed at the end (what the fuzz reached). */
const seen = new Map<string, number>()
const count = (kind: string, r: { ok: boolean; error?: { code: string } }): void => {
  const k = `${kind} ${r.ok ? 'ok' : r.error?.code}`
  seen.set(k, (seen.get(k) ?? 0) + 1)
}

function expectDocumented(what: string, r: Reply | { ok: false; error: { code: string; message: string } }): void {
  if (r.ok) return
  assert.ok(KNOWN.has(r.error.code), `${what}: undocumented code ${r.error.code}`)
  assert.is.not(r.error.code, 'INTERNAL', `${what}: INTERNAL ${r.error.message}`)
}

/** Statements from the SQL examples of docs/sql.md (its ``` blocks), split at `;`. */
function sqlCorpus(): string[] {
  const doc = readFileSync(join(ROOT, 'docs', 'sql.md'), 'utf8')
  const blocks = [...doc.matchAll(/```(?:sql)?\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  const out = blocks.flatMap((b) => b.split(';')).map((s) => s.replace(/--.*$/gm, '').trim()).filter((s) => s.length > 3)
  return [...new Set(out)].filter((s) => !/zz_sentinel/i.test(s))
}

test.before(async () => {
  server = await startServer({ args: ['--partitions', '4', '--workers', '2'] })
  fuzzer = await WsClient.connect(server.url)
  await fuzzer.ok('CREATE TABLE zz_sentinel (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);')
  for (const f of ['deposit']) await fuzzer.ok(`CREATE FUNCTION zz_sentinel.${f} FROM WASM X'${BANK.toString('hex')}' EXPORT '${f}';`)
  await fuzzer.ok(`INSERT INTO zz_sentinel VALUES ${Array.from({ length: ACCOUNTS }, (_, i) => `(${i}, 1000000)`).join(', ')};`)
  // Tables the corpus names, so that mutated statements reach execution, not only UNKNOWN_TABLE.
  for (const ddl of ['CREATE TABLE account (id TEXT PRIMARY KEY, owner TEXT, balance INTEGER NOT NULL DEFAULT 0);', 'CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER);']) {
    const r = await fuzzer.sql(ddl)
    expectDocumented(ddl, r)
  }
  rssBefore = serverRssMiB()
  transfers = startTransfers(server.url)
})

test.after(async () => {
  stopTransfers = true
  await server?.kill()
})

test('arbitrary and mutated frames: a documented error code or close code, never INTERNAL', async () => {
  const valid = [
    '{"id":1,"op":"sql","sql":"SELECT 1"}',
    '{"id":2,"op":"call","fn":"zz_sentinel.deposit","key":1,"args":[0]}',
    '{"id":3,"op":"sql","sql":"SELECT * FROM kv WHERE k = ?","params":["a"]}',
  ]
  const mutated = fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.nat(), fc.string({ maxLength: 8 })).map(([f, a, b, ins]) => {
    const i = a % (f.length + 1)
    const j = Math.min(f.length, i + (b % 6))
    return f.slice(0, i) + ins + f.slice(j)
  })
  const jsonish = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v))
  const requestish = fc.record({
    id: fc.oneof(fc.integer(), fc.constant(null), fc.string({ maxLength: 3 })),
    op: fc.oneof(fc.constantFrom('sql', 'call', 'auth', 'nope'), fc.string({ maxLength: 4 })),
    sql: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    fn: fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.constant('zz_sentinel.deposit')), { nil: undefined }),
    key: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
    args: fc.option(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), { nil: undefined }),
    params: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o))
  const deep = fc.integer({ min: 30, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n))
  await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ maxLength: 60 }), mutated, jsonish, requestish, deep), async (frame) => {
    const what = `frame ${JSON.stringify(frame).slice(0, 200)}`
    const a = await answer(frame)
    if (a.closed !== undefined) assert.ok(CLOSE_CODES.has(a.closed), `${what}: closed with ${a.closed}`)
    if (a.closed !== undefined) seen.set(`frame closed ${a.closed}`, (seen.get(`frame closed ${a.closed}`) ?? 0) + 1)
    for (const reply of a.replies) count('frame', reply as { ok: boolean })
    for (const reply of a.replies as { ok?: boolean; error?: { code: string; message: string } }[]) {
      assert.type(reply.ok, 'boolean', `${what}: reply ${JSON.stringify(reply).slice(0, 200)}`)
      if (reply.ok === false) expectDocumented(what, reply as { ok: false; error: { code: string; message: string } })
    }
  }), { numRuns: 300 * SCALE, seed: SEED })
})

test('SQL mutated from docs/sql.md: documented codes, never INTERNAL', async () => {
  const corpus = sqlCorpus()
  assert.ok(corpus.length >= 10, `the corpus has ${corpus.length} statements`)
  const words = ['SELECT', 'FROM', 'WHERE', '(', ')', ',', "'", '?', '*', 'NULL', 'x', '1e308', '-9223372036854775808', "X'0'", 'BEGIN;', 'COMMIT;', '/*', '--']
  const mutation = fc.oneof(
    fc.tuple(fc.nat(), fc.nat({ max: 8 })).map(([at, n]) => (s: string) => { const i = at % (s.length + 1); return s.slice(0, i) + s.slice(i + n) }),
    fc.tuple(fc.nat(), fc.constantFrom(...words)).map(([at, w]) => (s: string) => { const i = at % (s.length + 1); return `${s.slice(0, i)} ${w} ${s.slice(i)}` }),
    fc.tuple(fc.nat(), fc.string({ maxLength: 4 })).map(([at, w]) => (s: string) => { const i = at % (s.length + 1); return s.slice(0, i) + w + s.slice(i) }),
    fc.nat().map((at) => (s: string) => { const t = s.split(/\s+/); const i = at % t.length; return [...t.slice(0, i), t[i] ?? '', ...t.slice(i)].join(' ') }),
    // Mild ones, which keep the statement valid more often: another number, another string.
    fc.tuple(fc.nat(), fc.oneof(fc.integer(), fc.constantFrom('0', '-1', '1e400', '9223372036854775807', 'NULL'))).map(([at, v]) => (s: string) => {
      let k = 0
      return s.replace(/-?\d+(\.\d+)?/g, (m) => (k++ === at % 4 ? String(v) : m))
    }),
    fc.tuple(fc.nat(), fc.string({ maxLength: 6 })).map(([at, v]) => (s: string) => {
      let k = 0
      return s.replace(/'[^']*'/g, (m) => (k++ === at % 3 ? `'${v.replace(/'/g, "''")}'` : m))
    }),
  )
  await fc.assert(fc.asyncProperty(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 0, maxLength: 2 }), async (base, ms) => {
    const sql = ms.reduce((s, m) => m(s), base)
    const r = await fuzzer.request({ op: 'sql', sql }, 30_000).catch((e: unknown) => {
      throw new Error(`${JSON.stringify(sql)}: ${String(e)}`)
    })
    count('sql', r)
    expectDocumented(JSON.stringify(sql), r)
  }), { numRuns: 400 * SCALE, seed: SEED })
})

test('WebAssembly modules mutated from the bank example: documented codes at registration and at the call', async () => {
  let n = 0
  // Mostly one or two bytes changed (which often still validates, and then runs), sometimes a cut.
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 2 }), fc.option(fc.nat(), { nil: undefined, freq: 8 }), async (flips, cut) => {
    const bytes = Buffer.from(BANK)
    for (const [at, v] of flips) bytes[8 + (at % (bytes.length - 8))] = v
    const module = cut === undefined ? bytes : bytes.subarray(0, 8 + (cut % (bytes.length - 8)))
    const name = `kv.f${n++}`
    const created = await fuzzer.request({ op: 'sql', sql: `CREATE FUNCTION ${name} FROM WASM X'${module.toString('hex')}' EXPORT 'deposit';` }, 60_000)
    count('module', created)
    expectDocumented(`module ${name}`, created)
    if (!created.ok) return
    const called = await fuzzer.request({ op: 'call', fn: name, key: 'k1', args: [1] }, 60_000)
    count('call', called)
    expectDocumented(`call of ${name}`, called)
    expectDocumented(`drop of ${name}`, await fuzzer.sql(`DROP FUNCTION ${name};`))
  }), { numRuns: 80 * SCALE, seed: SEED })
})

test('the server stayed up, and every deposit of the concurrent client succeeded and is there once', async () => {
  assert.is(server.child.exitCode, null, `the server exited: ${server.stderr().slice(-2000)}`)
  console.log(`fuzz answers: ${[...seen].sort().map(([k, n]) => `${k} ${n}`).join(', ')}; server RSS ${rssBefore} MiB before, ${serverRssMiB()} MiB after`)
  stopTransfers = true
  const t = await transfers
  assert.equal(t.failed, [], `failed deposits: ${t.failed.slice(0, 5).join('; ')}`)
  assert.ok(t.ok > 0, 'deposits ran during the fuzz')
  const after = await fuzzer.sql('SELECT SUM(balance), COUNT(*) FROM zz_sentinel;')
  assert.ok(after.ok, JSON.stringify(after))
  assert.equal(after.results[0]?.rows, [[ACCOUNTS * 1_000_000 + t.ok, ACCOUNTS]], 'every acknowledged deposit is there once')
})

test.run()
