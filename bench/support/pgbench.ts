// pgbench as the PostgreSQL client: one run, its summary (successful txn/s, failures, retries) and the
// per-transaction latencies from its own log (-l), so that p50/p99/max come from the same kind of
// measurement as the WebSocket clients' (start of the transaction, retries included, to its end).
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { PgCluster } from '../../src/bench/pg-cluster.js'
import { PG_BIN } from '../../src/bench/pg-cluster.js'

export interface PgbenchRun {
  clients: number
  threads: number
  seconds: number
  /** Transactions counted by pgbench as processed (successful), per second, without connection time. */
  txnPerSec: number
  processed: number
  failed: number
  /** Transactions that needed at least one retry, and the total number of retries. */
  retriedTxns: number
  retries: number
  /** Latencies (ms) of the successful transactions, sorted. */
  latenciesMs: Float64Array
  output: string
  stderr: string
}

export interface PgbenchOptions {
  script: string
  clients: number
  threads: number
  seconds?: number
  transactions?: number
  maxTries: number
  env?: NodeJS.ProcessEnv
  /** Writes the per-transaction log under this prefix (files PREFIX.PID and PREFIX.PID.N) and reads it. */
  logPrefix?: string
}

let running: ChildProcess | null = null

/** The pgbench run in progress, if any: a signal handler kills it before stopping the cluster. */
export function killRunningPgbench(): void {
  running?.kill('SIGKILL')
}

function field(output: string, re: RegExp): number {
  const m = re.exec(output)
  return m === null ? 0 : Number(m[1])
}

export async function pgbench(cluster: PgCluster, o: PgbenchOptions): Promise<PgbenchRun> {
  const args = [
    '-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user, '-n', '-f', o.script,
    '-c', String(o.clients), '-j', String(o.threads), '-M', 'prepared', `--max-tries=${o.maxTries}`, '--failures-detailed',
    ...(o.seconds !== undefined ? ['-T', String(o.seconds)] : ['-t', String(o.transactions ?? 1)]),
    ...(o.logPrefix !== undefined ? ['-l', `--log-prefix=${o.logPrefix}`] : []),
    'postgres',
  ]
  const child = spawn(join(PG_BIN, 'pgbench'), args, { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  running = child
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (c) => resolve(c))
  })
  running = null
  if (code !== 0) throw new Error(`pgbench exited ${code}:\n${stdout}\n${stderr.slice(-4000)}`)
  const latenciesMs = o.logPrefix !== undefined ? readLog(o.logPrefix) : new Float64Array(0)
  return {
    clients: o.clients,
    threads: o.threads,
    seconds: o.seconds ?? 0,
    txnPerSec: field(stdout, /^tps = ([\d.]+)/m),
    processed: field(stdout, /^number of transactions actually processed: (\d+)/m),
    failed: field(stdout, /^number of failed transactions: (\d+)/m),
    retriedTxns: field(stdout, /^number of transactions retried: (\d+)/m),
    retries: field(stdout, /^total number of retries: (\d+)/m),
    latenciesMs,
    output: stdout,
    stderr,
  }
}

/**
 * pgbench 15's log line: `client_id transaction_no time script_no time_epoch time_us [retries]`, where
 * `time` is the latency in µs, or `serialization`/`deadlock`/`failed` for a transaction that failed
 * after its last try (no latency). Reads and deletes every file of the run.
 */
function readLog(prefix: string): Float64Array {
  const dir = dirname(prefix)
  const base = basename(prefix) + '.'
  const out: number[] = []
  for (const f of readdirSync(dir).filter((n) => n.startsWith(base))) {
    const path = join(dir, f)
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const time = line.split(' ')[2]
      if (time !== undefined && /^\d+$/.test(time)) out.push(Number(time) / 1000)
    }
    rmSync(path)
  }
  return Float64Array.from(out).sort()
}
