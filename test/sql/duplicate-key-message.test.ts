// DUPLICATE_KEY names the key as the other value errors do ("got 'abc'"): a TEXT key quoted, so that
// 'a b', '' or '1' read as the text they are ("duplicate key  in t" named no key at all).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open } from '../../src/index.js'

test('a duplicate TEXT key is quoted, an INTEGER key is not', async () => {
  const db = await open({ memory: true, partitions: 2 })
  try {
    await db.sql("CREATE TABLE s (id TEXT PRIMARY KEY, v INTEGER); CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER)")
    await db.sql("INSERT INTO s VALUES ('widget', 1), ('', 2), ('1', 3); INSERT INTO n VALUES (1, 1)")
    const cases: [string, string][] = [
      ["INSERT INTO s VALUES ('widget', 9)", "duplicate key 'widget' in s"],
      ["INSERT INTO s VALUES ('', 9)", "duplicate key '' in s"],
      ["INSERT INTO s VALUES ('1', 9)", "duplicate key '1' in s"],
      ['INSERT INTO n VALUES (1, 9)', 'duplicate key 1 in n'],
    ]
    for (const [sql, message] of cases) {
      const e = await db.sql(sql).then(() => null, (err: unknown) => err)
      assert.instance(e, AcheronError, sql)
      assert.equal([(e as AcheronError).code, (e as AcheronError).message], ['DUPLICATE_KEY', message])
    }
  } finally {
    await db.close()
  }
})

test.run()
