/**
 * Parse rate of the SQL front end on one core: statements/s for a CALL, a point SELECT and an aggregate
 * SELECT, uncached (every text distinct) and through the text cache, plus renderSelect. Run: node dist/bench/sql-parse.js
 */
import type { SelectStmt } from '../src/sql/ast.js'
import { parseScript, parseScriptCached } from '../src/sql/parse.js'
import { renderSelect } from '../src/sql/render.js'

const DURATION_MS = 1500

function rate(name: string, run: (i: number) => void): void {
  for (let i = 0; i < 2000; i++) run(i) // warm-up
  let n = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < DURATION_MS) {
    for (let k = 0; k < 500; k++) run(n++)
    elapsed = performance.now() - started
  }
  console.log(`${name.padEnd(44)} ${Math.round((n / elapsed) * 1000).toLocaleString('en-US').padStart(12)} /s`)
}

const call = (i: number) => `CALL account.transfer('user${i}', 'user${i + 1}', ${i % 100})`
const point = (i: number) => `SELECT id, balance FROM account WHERE id = 'user${i}'`
const aggregate = (i: number) => `SELECT owner, COUNT(*) AS n, SUM(balance) FROM account WHERE balance > ${i} GROUP BY owner ORDER BY n DESC LIMIT 10`

rate('CALL, uncached', (i) => parseScript(call(i)))
rate('CALL with ? params, cached', () => parseScriptCached('CALL account.transfer(?, ?, ?)'))
rate('SELECT point, uncached', (i) => parseScript(point(i)))
rate('SELECT aggregate, uncached', (i) => parseScript(aggregate(i)))
rate('SELECT aggregate, cached', () => parseScriptCached(aggregate(7)))
const sel = parseScript(aggregate(7))[0] as SelectStmt
rate('renderSelect (aggregate)', () => renderSelect(sel, { source: '"account$p0"', columns: ['id', 'owner', 'balance'], params: [] }))
rate('script of 10 CALLs, uncached (scripts/s)', (i) => parseScript(Array.from({ length: 10 }, (_, k) => call(i * 10 + k)).join(';\n')))
