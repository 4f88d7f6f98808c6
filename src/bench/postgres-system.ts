// PostgreSQL 15 under `acheron bench --peers`: a throwaway cluster (pg-cluster.ts: loopback, fsync and
// synchronous_commit on) with the workload as PL/pgSQL functions, each call one transaction at
// SERIALIZABLE, driven by the same closed-loop harness as Acheron through the `pg` client, one connection
// per lane. A serialization failure or deadlock (SQLSTATE 40001, 40P01) is retried as an application
// must, up to PG_TRIES_MAX tries; then the transaction counts as failed. RAISE in a function (P0001) is
// the transaction's own abort. Sessions run with enable_seqscan off, as PostgreSQL's manual advises for
// SERIALIZABLE ("Transaction Isolation"): a sequential scan takes a predicate lock on the whole table, and
// the planner picks one for TPC-C's few warehouse and district rows, failing most concurrent Payments.
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client as PgClient } from 'pg'
import { closedLoop, type Outcome } from './closed-loop.js'
import { PG_BIN, startPgCluster } from './pg-cluster.js'
import { laneStreams, scale, type BenchSettings, type SystemResult } from './settings.js'

/** Tries per transaction, the first included, before it counts as failed. */
export const PG_TRIES_MAX = 10
/** Connections the benchmark may open (the cluster allows 128; psql and autovacuum need a few). */
export const PG_CONNECTIONS_MAX = 120
const CONFLICT_CODES = new Set(['40001', '40P01'])
const ABORT_CODE = 'P0001'
const SESSION_OPTIONS = '-c default_transaction_isolation=serializable -c enable_seqscan=off'

/** Why PostgreSQL cannot run here, or null when its binaries are present. */
export function postgresMissing(): string | null {
  for (const tool of ['initdb', 'pg_ctl', 'postgres', 'psql']) {
    if (!existsSync(join(PG_BIN, tool))) return `no PostgreSQL binaries: ${join(PG_BIN, tool)} does not exist (apt-get install postgresql-15, or set PG_BIN)`
  }
  return null
}

/** `onStart`: called as the clients start, after the set-up (for the progress line). */
export async function runPostgres(s: BenchSettings, cleanups: (() => void)[], onStart?: () => void): Promise<SystemResult> {
  const lanes = s.clients * s.inflight
  if (lanes > PG_CONNECTIONS_MAX) throw new Error(`PostgreSQL needs one connection per request in flight: --clients × --inflight = ${lanes} is over ${PG_CONNECTIONS_MAX}`)
  const p = s.workload.postgres
  if (p === undefined) throw new Error(`${s.workload.name} has no PostgreSQL version yet`)
  const { default: pg } = await import('pg')
  const cluster = await startPgCluster(mkdtempSync(join(tmpdir(), 'acheron-bench-postgres-')))
  cleanups.push(() => cluster.stop())
  const clients: PgClient[] = []
  try {
    cluster.psql(p.schema(scale(s)))
    cluster.psql('VACUUM ANALYZE')
    cluster.psql('CHECKPOINT')
    for (let i = 0; i < lanes; i++) {
      const c = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: 'postgres', options: SESSION_OPTIONS })
      clients.push(c)
      await c.connect()
    }
    const isolation = (await (clients[0] as PgClient).query('SHOW transaction_isolation')).rows[0] as { transaction_isolation: string }
    if (isolation.transaction_isolation !== 'serializable') throw new Error(`PostgreSQL sessions run at ${isolation.transaction_isolation}, not serializable`)
    const seqscan = (await (clients[0] as PgClient).query('SHOW enable_seqscan')).rows[0] as { enable_seqscan: string }
    if (seqscan.enable_seqscan !== 'off') throw new Error(`PostgreSQL sessions run with enable_seqscan ${seqscan.enable_seqscan}, not off`)
    let gaveUp = 0
    const measured = await closedLoop({
      lanes,
      warmupMs: s.warmupS * 1000,
      durationMs: s.durationS * 1000,
      onStart,
      stream: laneStreams(s),
      serverCpuSeconds: () => cluster.cpuSeconds(),
      run: async (lane, txn): Promise<Outcome> => {
        const c = clients[lane] as PgClient
        const q = p.call(txn)
        let conflicts = 0
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query({ name: q.name, text: q.text, values: q.values })
            return { kind: 'committed', conflicts, retries: attempt - 1 }
          } catch (e) {
            const code = (e as { code?: string }).code ?? ''
            if (code === ABORT_CODE) return { kind: 'aborted', conflicts, retries: attempt - 1 }
            if (!CONFLICT_CODES.has(code)) throw e
            conflicts++
            if (attempt === PG_TRIES_MAX) {
              gaveUp++
              return { kind: 'failed', conflicts, retries: attempt - 1, code: `gave up after ${PG_TRIES_MAX} tries` }
            }
          }
        }
      },
    })
    const invariant = (s.workload.invariant?.queries ?? []).map((sql) => Number(cluster.psql(sql).trim()))
    return {
      system: 'postgres', load: `${s.clients} × ${s.inflight}`, measured, invariant,
      notes: [`PostgreSQL ${cluster.version}, SERIALIZABLE, enable_seqscan off, fsync and synchronous_commit on, ${lanes} connections; serialization failures and deadlocks retried up to ${PG_TRIES_MAX} tries (${gaveUp} gave up over the whole run)`],
    }
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)))
    cluster.stop()
  }
}
