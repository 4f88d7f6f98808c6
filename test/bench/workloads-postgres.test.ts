// The PostgreSQL peer runs the same transactions as the guest functions: its PL/pgSQL functions, called
// one at a time on a throwaway cluster, reach the same outcomes and rows as the SQLite peer's logic (which
// workloads.test.ts checks against the guest functions). Needs the PostgreSQL binaries.
import Database from 'better-sqlite3'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startPgCluster } from '../../src/bench/pg-cluster.js'
import { keyDistribution } from '../../src/bench/rng.js'
import { TPCC } from '../../src/bench/tpcc.js'
import { laneRandom, SMALLBANK, YCSBT, type Scale, type Workload } from '../../src/bench/workloads.js'
import { postgresTest } from '../support/postgres.js'

const SCALE: Scale = { keys: 20, warehouses: 2, items: 50 }

async function agree(client: pg.Client, w: Workload, txns: number, psql: (sql: string) => string): Promise<void> {
  psql(w.postgres!.schema(SCALE))
  const lite = new Database(':memory:')
  try {
    lite.exec(w.sqlite!.schema)
    w.sqlite!.load(lite, SCALE)
    const apply = w.sqlite!.prepare(lite)
    const next = w.stream(SCALE, keyDistribution(SCALE.keys, 0.99), laneRandom(5, 0))
    for (let i = 0; i < txns; i++) {
      const t = next()
      const q = w.postgres!.call(t)
      let outcome: 'committed' | 'aborted' = 'committed'
      try {
        await client.query({ name: q.name, text: q.text, values: q.values })
      } catch (e) {
        if ((e as { code?: string }).code !== 'P0001') throw e
        outcome = 'aborted'
      }
      assert.is(apply(t), outcome, `transaction ${i}: ${JSON.stringify(t)}`)
    }
    // pg answers BIGINT as a string of digits.
    const plain = (rows: unknown[][]): unknown[][] => rows.map((r) => r.map((v) => (v === null || (typeof v === 'string' && !/^-?\d+$/.test(v)) ? v : Number(v))))
    for (const table of w.acheron.tables) {
      const fromPg = (await client.query({ text: `SELECT * FROM ${table} ORDER BY id`, rowMode: 'array' })).rows as unknown[][]
      assert.equal(plain(fromPg), plain(lite.prepare(`SELECT * FROM ${table} ORDER BY id`).raw().all() as unknown[][]), `${w.name}: ${table}`)
    }
  } finally {
    lite.close()
  }
}

postgresTest('the PL/pgSQL workloads agree with the SQLite peer\'s logic, transaction by transaction and row by row', async () => {
  const cluster = await startPgCluster(mkdtempSync(join(tmpdir(), 'acheron-test-postgres-')))
  const client = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: 'postgres' })
  try {
    await client.connect()
    await agree(client, YCSBT, 300, cluster.psql)
    await agree(client, SMALLBANK, 600, cluster.psql)
    await agree(client, TPCC, 400, cluster.psql)
  } finally {
    await client.end().catch(() => undefined)
    cluster.stop()
  }
})

test.run()
