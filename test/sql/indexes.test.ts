// CREATE INDEX / DROP INDEX / SHOW INDEXES: an index is one SQLite index on each partition table of its
// table, built at the DDL's position, carried through ALTER TABLE … PARTITIONS, dropped with its table,
// recovered from the log; it changes what a query costs, never what it returns. What is refused, and why.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { INDEX_COLUMNS_MAX, INDEXES_PER_TABLE_MAX } from '../../src/schema/catalog.js'
import { QUERY_ROWS_EXAMINED_MAX } from '../../src/storage/sqlite-schema.js'
import { rejection } from '../support/rejection.js'
import { tempDir } from '../support/tmp.js'

const ROWS = 4_000

/** Tables a and b of ROWS rows each, g = k. */
async function twoTables(db: EmbeddedDatabase, partitions: number): Promise<void> {
  const numbers = `WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < ${ROWS}) SELECT v, v FROM n`
  await db.sql(`CREATE TABLE a (k INTEGER PRIMARY KEY, g INTEGER) PARTITIONS ${partitions};
    CREATE TABLE b (k INTEGER PRIMARY KEY, g INTEGER, note TEXT) PARTITIONS ${partitions};
    INSERT INTO a ${numbers}; INSERT INTO b (k, g) ${numbers}`)
}

/**
 * The rows of a with no row of b more than ROWS above them: without an index on b.g, each of a's rows
 * reads all of b (ROWS² row combinations, past QUERY_ROWS_EXAMINED_MAX); with one, SQLite seeks it.
 */
const NEIGHBOURS = `SELECT COUNT(*) FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.g > a.g + ${ROWS})`

/** NEIGHBOURS computed here, from b's values of g. */
function expected(bValues: readonly number[]): number {
  const top = Math.max(...bValues)
  return Array.from({ length: ROWS }, (_, i) => i + 1).filter((g) => !(top > g + ROWS)).length
}

async function neighbours(db: EmbeddedDatabase): Promise<unknown> {
  try {
    return (await db.query(NEIGHBOURS)).rows
  } catch (err) {
    return (err as Error).message.includes('QUERY_ROWS_EXAMINED_MAX') ? 'stopped' : err
  }
}

test('a query that needs an index is stopped without one and answers with it, across ALTER TABLE … PARTITIONS, until DROP INDEX', async () => {
  assert.ok(ROWS * ROWS > QUERY_ROWS_EXAMINED_MAX)
  const db = await open({ memory: true })
  try {
    await twoTables(db, 2)
    assert.is(await neighbours(db), 'stopped')
    const values = Array.from({ length: ROWS }, (_, i) => i + 1)
    await db.sql('CREATE INDEX b_g ON b (g)')
    assert.equal(await neighbours(db), [[expected(values)]])
    // The rows move to new partition tables; the index is built again on them.
    await db.sql('ALTER TABLE b PARTITIONS 3')
    assert.equal(await neighbours(db), [[expected(values)]])
    // Writes after it keep it current (the index changes no result).
    await db.sql('UPDATE b SET g = g + 5000 WHERE k <= 10')
    const updated = values.map((g) => (g <= 10 ? g + 5000 : g))
    assert.ok(expected(updated) < ROWS)
    assert.equal(await neighbours(db), [[expected(updated)]])
    await db.sql('DROP INDEX b_g')
    assert.is(await neighbours(db), 'stopped')
  } finally {
    await db.close()
  }
})

test('a correlated aggregate subquery, a join and an aggregate over a join use the index: stopped without it, the same answers as computed here with it', async () => {
  const db = await open({ memory: true })
  try {
    await twoTables(db, 3)
    // For each row of a, how many rows of b are within 2 of its g (a correlated COUNT), summed; and the
    // same pairs through a join (not an aggregate), counted here.
    const correlated = 'SELECT SUM((SELECT COUNT(*) FROM b WHERE b.g BETWEEN a.g - 2 AND a.g + 2)) FROM a'
    const grouped = 'SELECT SUM(n) FROM (SELECT a.k, (SELECT COUNT(*) FROM b WHERE b.g > a.g GROUP BY b.note) AS n FROM a)'
    const joined = 'SELECT a.k, b.k FROM a JOIN b ON b.g BETWEEN a.g - 2 AND a.g + 2'
    // Aggregates over the join: its items, GROUP BY, HAVING and ORDER BY read the fenced join's columns,
    // as does a subquery among the items; its WHERE is inside the fence.
    const counted = 'SELECT COUNT(*) FROM a JOIN b ON b.g BETWEEN a.g - 2 AND a.g + 2'
    const perGroup = `SELECT a.k % 3 AS m, COUNT(*) AS n, MAX(b.k), (SELECT COUNT(*) FROM a AS x WHERE x.k = a.k % 3 + 1) FROM a
      JOIN b ON b.g BETWEEN a.g - 2 AND a.g + 2 WHERE b.k <> 7 GROUP BY a.k % 3 HAVING COUNT(*) > 1 ORDER BY m DESC`
    const pairs = Array.from({ length: ROWS }, (_, i) => i + 1).flatMap((g) => Array.from({ length: 5 }, (_, d) => [g, g - 2 + d] as const)).filter(([, h]) => h >= 1 && h <= ROWS)
    const within2 = pairs.length
    const groups = [2, 1, 0].map((m) => {
      const mine = pairs.filter(([g, h]) => g % 3 === m && h !== 7)
      return [m, mine.length, Math.max(...mine.map(([, h]) => h)), 1]
    })
    const above = (ROWS * (ROWS - 1)) / 2
    for (const sql of [correlated, grouped, joined, counted, perGroup]) {
      const err = await rejection(db.query(sql))
      assert.match(err.message, /QUERY_ROWS_EXAMINED_MAX/, sql)
    }
    await db.sql('CREATE INDEX b_g ON b (g)')
    assert.equal((await db.query(correlated)).rows, [[within2]])
    assert.equal((await db.query(grouped)).rows, [[above]])
    assert.is((await db.query(joined)).rows.length, within2)
    assert.equal((await db.query(counted)).rows, [[within2]])
    assert.equal((await db.query(perGroup)).rows, groups)
  } finally {
    await db.close()
  }
})

test('SHOW INDEXES lists every index (or a table\'s) by name; DESC is kept; a dropped table takes its indexes and frees their names', async () => {
  const db = await open({ memory: true })
  try {
    await twoTables(db, 2)
    const [none] = await db.sql('SHOW INDEXES')
    assert.equal([none?.columns, none?.rows], [['name', 'table', 'columns'], []])
    await db.sql('CREATE INDEX b_note ON b (note, g DESC); CREATE INDEX IF NOT EXISTS a_g ON a (G ASC); CREATE INDEX IF NOT EXISTS a_g ON a (k)')
    assert.equal((await db.sql('SHOW INDEXES'))[0]?.rows, [['a_g', 'a', 'g'], ['b_note', 'b', 'note, g DESC']])
    assert.equal((await db.sql('SHOW INDEX FROM b'))[0]?.rows, [['b_note', 'b', 'note, g DESC']])
    // Results are the same with the index as without: ordered by the indexed columns, filtered by them.
    assert.equal((await db.query("SELECT k FROM b WHERE note IS NULL AND g > ? ORDER BY g DESC LIMIT 3", [ROWS - 5])).rows, [[ROWS], [ROWS - 1], [ROWS - 2]])
    await db.sql('DROP TABLE b')
    assert.equal((await db.sql('SHOW INDEXES'))[0]?.rows, [['a_g', 'a', 'g']])
    await db.sql('CREATE TABLE b (k INTEGER PRIMARY KEY, note TEXT); CREATE INDEX b_note ON b (note)')
    assert.equal((await db.sql('SHOW INDEXES IN b'))[0]?.rows, [['b_note', 'b', 'note']])
    const unknown = await rejection(db.sql('SHOW INDEXES FROM c'))
    assert.equal([unknown.code, unknown.message], ['UNKNOWN_TABLE', 'no such table: c'])
  } finally {
    await db.close()
  }
})

test('what CREATE INDEX and DROP INDEX refuse, each with its code and reason; the limits are enforced', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER, b TEXT); CREATE INDEX t_a ON t (a)')
    const cases: [string, string, RegExp][] = [
      ['CREATE INDEX t_a ON t (b)', 'CONSTRAINT', /^index t_a already exists$/],
      // Named as typed, and as the existing one is spelt when that differs (it said only "index T_A already exists").
      ['CREATE INDEX T_A ON t (b)', 'CONSTRAINT', /^index T_A already exists \(as t_a: names are case-insensitive\)$/],
      ['CREATE TABLE T (k INTEGER PRIMARY KEY)', 'CONSTRAINT', /^table T already exists \(as t: names are case-insensitive\)$/],
      ['CREATE TABLE t (k INTEGER PRIMARY KEY)', 'CONSTRAINT', /^table t already exists$/],
      ['CREATE INDEX t ON t (b)', 'CONSTRAINT', /^t is the name of a table: an index needs a name of its own$/],
      ['CREATE TABLE t_a (k INTEGER PRIMARY KEY)', 'CONSTRAINT', /^t_a is the name of an index: a table needs a name of its own$/],
      ['CREATE INDEX x ON u (a)', 'UNKNOWN_TABLE', /^no such table: u$/],
      ['CREATE INDEX x ON t (c)', 'UNKNOWN_COLUMN', /^no such column: c in table t$/],
      ['CREATE INDEX x ON t (a, b, A)', 'CONSTRAINT', /^column A is named twice in index x$/],
      ['DROP INDEX x', 'UNKNOWN_TABLE', /^no such index: x$/],
      // One namespace: a name of the other kind says so, as PostgreSQL's hint does.
      ['DROP INDEX T', 'UNKNOWN_TABLE', /^no such index: T \(t is a table: DROP TABLE t\)$/],
      ['DROP TABLE T_A', 'UNKNOWN_TABLE', /^no such table: T_A \(t_a is an index of t: DROP INDEX t_a\)$/],
      ['CREATE UNIQUE INDEX x ON t (a)', 'SYNTAX_ERROR', /^UNIQUE indexes are not supported: a row lives in the partition its key chooses/],
      ['CREATE INDEX x ON t (lower(b))', 'SYNTAX_ERROR', /^an index names columns of its table; lower\(…\) is an expression/],
      ['CREATE INDEX x ON t (a + 1)', 'SYNTAX_ERROR', /^expected '\)' after the index columns, found '\+'$/],
      ["CREATE INDEX x ON t ('a')", 'SYNTAX_ERROR', /^expected a column name \(an index names columns of its table; expressions are not supported\)/],
      ['CREATE INDEX x ON t (a) WHERE a > 0', 'SYNTAX_ERROR', /^partial indexes \(CREATE INDEX … WHERE\) are not supported: index every row$/],
      ['CREATE INDEX x ON t ()', 'SYNTAX_ERROR', /^expected a column name/],
      ['CREATE INDEX ON t (a)', 'SYNTAX_ERROR', /^expected index name after CREATE INDEX, found 'ON'$/],
      // SQLite refuses them: accepted, such an index failed every checkpoint after it, and every query with them.
      ['CREATE INDEX sqlite_x ON t (a)', 'SYNTAX_ERROR', /^invalid index name 'sqlite_x': names starting with 'sqlite_' are reserved for the storage$/],
      ['CREATE INDEX IF NOT EXISTS SQLite_x ON t (a)', 'SYNTAX_ERROR', /^invalid index name 'SQLite_x': names starting with 'sqlite_' are reserved for the storage$/],
      ['CREATE INDEX _acheron_meta ON t (a)', 'SYNTAX_ERROR', /^invalid index name '_acheron_meta': names starting with '_acheron' are reserved for the storage$/],
    ]
    for (const [sql, code, message] of cases) {
      const err = await rejection(db.sql(sql))
      assert.is(err.code, code, sql)
      assert.match(err.message, message, sql)
    }
    // An unknown table or column, or a column named twice, is reported where it is written, not at the index's name.
    for (const [sql, column] of [['CREATE INDEX x ON u (a)', 19], ['CREATE INDEX x ON t (a, c)', 25], ['CREATE INDEX x ON t (a, b, A)', 28], ['CREATE INDEX sqlite_x ON t (a)', 14]] as const) {
      const err = await rejection(db.sql(sql))
      assert.equal([err.line, err.column], [1, column], `${sql}: ${err.message}`)
    }
    const wide = Array.from({ length: INDEX_COLUMNS_MAX + 1 }, (_, i) => `c${i} INTEGER`).join(', ')
    await db.sql(`CREATE TABLE w (k INTEGER PRIMARY KEY, ${wide})`)
    const columns = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(', ')
    await db.sql(`CREATE INDEX w_all ON w (${columns(INDEX_COLUMNS_MAX)})`)
    const tooWide = await rejection(db.sql(`CREATE INDEX w_more ON w (${columns(INDEX_COLUMNS_MAX + 1)})`))
    assert.equal([tooWide.code, tooWide.message], ['CONSTRAINT', `an index names 1 to ${INDEX_COLUMNS_MAX} columns, w_more names ${INDEX_COLUMNS_MAX + 1}`])
    for (let i = 1; i < INDEXES_PER_TABLE_MAX; i++) await db.sql(`CREATE INDEX w_${i} ON w (c${i % (INDEX_COLUMNS_MAX + 1)})`)
    const tooMany = await rejection(db.sql('CREATE INDEX w_last ON w (c0)'))
    assert.equal([tooMany.code, tooMany.message], ['CONSTRAINT', `table w has ${INDEXES_PER_TABLE_MAX} indexes, the most a table may have (each is written by every checkpoint): drop one first`])
    // Nothing else was harmed: the refused statements changed nothing.
    assert.equal((await db.sql('SHOW INDEXES FROM t'))[0]?.rows, [['t_a', 't', 'a']])
    assert.is((await db.sql('SHOW INDEXES FROM w'))[0]?.rows.length, INDEXES_PER_TABLE_MAX)
  } finally {
    await db.close()
  }
})

/** The SQLite indexes of the checkpoint file, as `index on table`, sorted. */
function fileIndexes(dir: string): string[] {
  const file = new Database(join(dir, 'acheron.db'), { readonly: true })
  try {
    return (file.prepare("SELECT name || ' on ' || tbl_name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[])
  } finally {
    file.close()
  }
}

test('in the checkpoint file: one SQLite index per partition, moved by ALTER, gone with DROP INDEX; recovery from the log rebuilds them', async () => {
  const tmp = tempDir('acheron-indexes-')
  try {
    const dir = join(tmp.dir, 'data')
    // A checkpoint after every batch, so the file shows each DDL at once.
    let db = await open({ dir, checkpointIntervalMs: 0 })
    try {
      await db.sql("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER) PARTITIONS 2; INSERT INTO t VALUES ('a', 1), ('b', 2); CREATE INDEX t_v ON t (v)")
      await db.sql('ALTER TABLE t PARTITIONS 3')
      await db.sql("INSERT INTO t VALUES ('c', 3)")
    } finally {
      await db.close()
    }
    assert.equal(fileIndexes(dir), ['t_v$i0 on t$p0', 't_v$i1 on t$p1', 't_v$i2 on t$p2'])
    db = await open({ dir, checkpointIntervalMs: 0 })
    try {
      assert.equal((await db.sql('SHOW INDEXES'))[0]?.rows, [['t_v', 't', 'v']])
      await db.sql('DROP INDEX t_v; CREATE INDEX t_v2 ON t (v DESC, k)')
    } finally {
      await db.close()
    }
    assert.equal(fileIndexes(dir), ['t_v2$i0 on t$p0', 't_v2$i1 on t$p1', 't_v2$i2 on t$p2'])
    // Recovery from the log alone: checkpoints far apart, so every DDL is replayed on the next open.
    const lagging = join(tmp.dir, 'lagging')
    db = await open({ dir: lagging, checkpointIntervalMs: 3_600_000 })
    await db.sql("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER) PARTITIONS 2; CREATE INDEX t_v ON t (v); INSERT INTO t VALUES ('a', 1)")
    await db.close()
    db = await open({ dir: lagging, checkpointIntervalMs: 0 })
    try {
      assert.equal((await db.sql('SHOW INDEXES'))[0]?.rows, [['t_v', 't', 'v']])
      await db.sql("INSERT INTO t VALUES ('b', 2)")
    } finally {
      await db.close()
    }
    assert.equal(fileIndexes(lagging), ['t_v$i0 on t$p0', 't_v$i1 on t$p1'])
  } finally {
    tmp.cleanup()
  }
})

test.run()
