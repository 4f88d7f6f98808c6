// `acheron cluster --nodes 3`: three NATS servers and three nodes on one R3 stream, one line per node;
// any node answers any request with the same reply (DDL through one follower, calls through the other,
// reads through all three); SIGTERM stops every process it started, and a SIGKILL of it leaves them to the
// orphan guard, which stops them too.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { AcheronError, connect } from '../../src/index.js'
import { LOG_STREAM_BATCHES_KEPT } from '../../src/log/jetstream-log.js'
import { natsTest } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const BANK = readFileSync(fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))).toString('hex')

/** Processes whose command line names `dir` (the nodes' --data, the NATS servers' configuration files). */
function processesUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '')
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
}

/** After a test, whatever it left running under `dir` (pgrep -f prints each one's pid first). */
function killUnder(dir: string): void {
  for (const line of processesUnder(dir)) {
    try { process.kill(Number(line.split(' ')[0]), 'SIGKILL') } catch { /* gone */ }
  }
}

/**
 * Runs `sql` with the client's default timeout: the 5 s the tests give their loops (to see a dead writer
 * soon) can be shorter than registering a module takes through a follower on a loaded machine (it was).
 */
async function setUp(url: string, sql: string): Promise<void> {
  const db = await connect(url)
  try {
    await db.sql(sql)
  } finally {
    await db.close()
  }
}

/** Starts `acheron cluster --nodes N` on `dir`; resolves with the nodes' URLs once every line is printed. */
function startCluster(dir: string, nodes: number): { child: ReturnType<typeof spawn>; urls: Promise<string[]>; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'cluster', '--nodes', String(nodes), '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const urls = new Promise<string[]>((resolve, reject) => {
    // By node number: started again on its DIR, the node holding the most batches starts first.
    const got: string[] = []
    let lines = 0
    const timer = setTimeout(() => reject(new Error(`no ${nodes} node lines within 90 s: ${JSON.stringify(got)} ${stderr}`)), 90_000)
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`acheron cluster exited (${code}) after ${lines} node lines: ${stderr}`)) })
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^acheron node (\d) listening on (ws:\/\/\S+)$/.exec(line)
      if (m === null) return reject(new Error(`unexpected line ${JSON.stringify(line)}`))
      got[Number(m[1]) - 1] = m[2] as string
      if (++lines === nodes) { clearTimeout(timer); resolve(got) }
    })
  })
  return { child, urls, stderr: () => stderr, exited }
}

natsTest('acheron cluster: a node killed is said and the others go on, a follower taking the writing over; SIGHUP stops everything', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-')
  const { child, urls, stderr, exited } = startCluster(dir, 3)
  try {
    const [, second] = await urls
    // A request forwarded the moment the writer died fails as outcome unknown once the follower's probes
    // find no writer (about 3 s); the client's own timeout bounds the wait too.
    const db = await connect(second as string, { requestTimeoutMs: 5000 })
    try {
      await setUp(second as string, `CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
        CREATE FUNCTION account.deposit FROM WASM X'${BANK}'; CALL account.deposit('alice', 10);`)
      // Node 1 writes the stream. Killed, it took the whole cluster down with it.
      const writer = processesUnder(`${dir}/node1 `)
      assert.is(writer.length, 1, writer.join('\n'))
      process.kill(Number((writer[0] as string).split(' ')[0]), 'SIGKILL')
      const deadline = Date.now() + 90_000
      let balance: unknown = null
      let lastError = ''
      while (balance === null && Date.now() < deadline) {
        balance = await db.call('account.deposit', 'alice', 1).then((r) => r.value, (e: Error) => { lastError = `${(e as { code?: string }).code}: ${e.message}`; return null })
        if (balance === null) await new Promise((r) => setTimeout(r, 500))
      }
      assert.ok(balance === 11 || balance === 12, `node 2 serves after a take-over: ${String(balance)}, last error ${lastError}; ${stderr()}`)
      assert.match(stderr(), /acheron cluster: node 1 exited \(SIGKILL\); the others go on/)
      // Its NATS servers are said, for a node restarted by hand.
      assert.match(stderr(), /acheron cluster: NATS servers nats:\/\/127\.0\.0\.1:\d+,nats:\/\/127\.0\.0\.1:\d+,nats:\/\/127\.0\.0\.1:\d+ \(a node by hand: acheron serve --cluster /)
      assert.is(child.exitCode, null, 'the cluster still runs')
      // A NATS server that dies is said too; two of three go on.
      const natsServer = processesUnder(`${dir}/nats/n3.conf`)
      assert.is(natsServer.length, 1, natsServer.join('\n'))
      process.kill(Number((natsServer[0] as string).split(' ')[0]), 'SIGKILL')
      const said = Date.now() + 10_000
      while (!/acheron cluster: NATS server 3 \(nats:\/\/[^)]+\) exited \(SIGKILL\); the stream goes on/.test(stderr()) && Date.now() < said) await new Promise((r) => setTimeout(r, 100))
      assert.match(stderr(), /acheron cluster: NATS server 3 \(nats:\/\/[^)]+\) exited \(SIGKILL\); the stream goes on while a majority of its servers live/)
    } finally {
      await db.close()
    }
    // Closing the terminal (SIGHUP) stops everything, as SIGTERM does (the NATS servers were left running).
    child.kill('SIGHUP')
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))])
    assert.is(code, 0, stderr())
    assert.equal(processesUnder(dir), [], 'no node or NATS server left running')
  } finally {
    child.kill('SIGKILL')
    killUnder(dir)
    cleanup()
  }
})

natsTest('acheron cluster started again after a fail-over and more batches than the stream keeps: the node holding the most batches writes, and the data is there', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-')
  let run = startCluster(dir, 2)
  try {
    const [, second] = await run.urls
    let deposited = 0
    const db = await connect(second as string, { requestTimeoutMs: 5000 })
    try {
      await setUp(second as string, `CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
        CREATE FUNCTION account.deposit FROM WASM X'${BANK}';`)
      const writer = processesUnder(`${dir}/node1 `)
      process.kill(Number((writer[0] as string).split(' ')[0]), 'SIGKILL')
      for (const deadline = Date.now() + 90_000; deposited === 0 && Date.now() < deadline;) {
        if (await db.call('account.deposit', 'alice', 1).then(() => true, () => false)) deposited++
        else await new Promise((r) => setTimeout(r, 500))
      }
      assert.is(deposited, 1, `node 2 took the writing over: ${run.stderr()}`)
      // Node 2's checkpoints purge the stream behind them: node 1's directory can no longer write it.
      while (deposited < LOG_STREAM_BATCHES_KEPT + 300) {
        await db.call('account.deposit', 'alice', 1)
        deposited++
      }
      await new Promise((r) => setTimeout(r, 3000)) // a checkpoint (every second) and its purge
    } finally {
      await db.close()
    }
    run.child.kill('SIGTERM')
    assert.is(await run.exited, 0, run.stderr())
    // Node 1 is behind the purge: it rebuilds from node 2's snapshot and does not try for the lease, so node
    // 2 writes (before, node 1 took the lease, refused to open, and the cluster stopped). The nodes listen
    // before one of them holds the lease: until then a request waits for a writer (FORWARD_NO_WRITER_WAIT_MS),
    // and past that is refused as retryable ("no writer serves the stream now … retry"), retried here as an
    // application does.
    run = startCluster(dir, 2)
    const [, two] = await run.urls
    const again = await connect(two as string)
    try {
      const read = async (): Promise<unknown[][]> => {
        for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 250))) {
          try {
            return (await again.query("SELECT balance FROM account WHERE id = 'alice'")).rows
          } catch (err) {
            if (!(err instanceof AcheronError && err.retryable === true && /did not run; retry/.test(err.message)) || Date.now() > deadline) throw err
          }
        }
      }
      assert.equal(await read(), [[deposited]])
    } finally {
      await again.close()
    }
    run.child.kill('SIGTERM')
    assert.is(await run.exited, 0, run.stderr())
  } finally {
    run.child.kill('SIGKILL')
    killUnder(dir)
    cleanup()
  }
})

natsTest('acheron cluster killed with SIGKILL (no cleanup of its own runs): its NATS server and node are stopped all the same', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-')
  const { child, urls, exited } = startCluster(dir, 1)
  try {
    await urls
    assert.ok(processesUnder(dir).length >= 2, `a node and a NATS server run: ${processesUnder(dir).join('; ')}`)
    child.kill('SIGKILL')
    await exited
    const deadline = Date.now() + 10_000
    while (processesUnder(dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    assert.equal(processesUnder(dir), [], 'no node or NATS server left running')
  } finally {
    child.kill('SIGKILL')
    killUnder(dir)
    cleanup()
  }
})

natsTest('acheron cluster --nodes 3: a line per node; any node answers any request alike; SIGTERM stops everything', async () => {
  const { dir, cleanup } = tempDir('acheron-cluster-')
  const child = spawn(process.execPath, [CLI, 'cluster', '--nodes', '3', '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  try {
    const urls = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = []
      const timer = setTimeout(() => reject(new Error(`no three node lines within 90 s: ${JSON.stringify(got)} ${stderr}`)), 90_000)
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^acheron node (\d) listening on (ws:\/\/\S+)$/.exec(line)
        assert.ok(m !== null, `unexpected line ${JSON.stringify(line)}`)
        assert.is(Number(m[1]), got.length + 1)
        got.push(m[2] as string)
        if (got.length === 3) { clearTimeout(timer); resolve(got) }
      })
    })
    const [one, two, three] = await Promise.all(urls.map((u) => connect(u)))
    assert.ok(one !== undefined && two !== undefined && three !== undefined)
    try {
      const ddl = await two.sql(`CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 4;
        CREATE FUNCTION account.transfer FROM WASM X'${BANK}'; CREATE FUNCTION account.deposit FROM WASM X'${BANK}';
        INSERT INTO account VALUES ('alice', 100), ('bob', 0);`)
      assert.is(ddl.length, 4)
      const moved = await three.call('account.transfer', 'alice', 'bob', 30)
      assert.is(moved.value, 70)
      const refused = await three.call('account.transfer', 'alice', 'bob', 300).then(() => null, (e: { code?: string; commit?: unknown }) => e)
      assert.is(refused?.code, 'TXN_ABORTED')
      assert.ok(refused?.commit !== undefined, 'a rollback that ran carries its position through the follower')
      const again = await one.call('account.transfer', 'bob', 'alice', 5)
      assert.ok(again.commit.batch > moved.commit.batch, 'one order, whichever node took the request')
      for (const db of [one, two, three]) {
        assert.equal((await db.query('SELECT id, balance FROM account ORDER BY id')).rows, [['alice', 75], ['bob', 25]])
      }
    } finally {
      for (const db of [one, two, three]) await db.close()
    }
    child.kill('SIGTERM')
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))])
    assert.is(code, 0, stderr)
    assert.equal(processesUnder(dir), [], 'no node or NATS server left running')
  } finally {
    child.kill('SIGKILL')
    killUnder(dir)
    cleanup()
  }
})

test.run()
