// In the REPL, a BEGIN block is held until its COMMIT; \i and \copy, which send their own statements at
// once, are refused while one is held: what they sent would commit before the block, and its ROLLBACK
// would not undo it. The REPL runs on pipes here, with a session that records what it was sent.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { History } from '../../src/console/history.js'
import { Printer } from '../../src/console/printer.js'
import { Repl } from '../../src/console/repl.js'
import type { Session, UnitOutcome } from '../../src/console/session.js'
import type { Unit } from '../../src/console/units.js'
import { Variables } from '../../src/console/variables.js'
import { tempDir } from '../support/tmp.js'

/** How long the REPL may take to answer a line, and to close. */
const RUN_TIMEOUT_MS = 5000

async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + RUN_TIMEOUT_MS; !done() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 10))
}

test('\\i and \\copy inside a held BEGIN block are refused, and ROLLBACK then drops the block with nothing sent', async () => {
  const { dir, cleanup } = tempDir('acheron-repl-held-')
  writeFileSync(join(dir, 'more.sql'), 'INSERT INTO t VALUES (2);\n')
  writeFileSync(join(dir, 'rows.txt'), '3\n')
  const sent: string[] = []
  const session = {
  variables: new Variables(),
    run: async (unit: Unit): Promise<UnitOutcome> => {
      sent.push(...unit.statements.map((s) => s.text))
      return { ok: true, elapsedMs: 1, results: unit.statements.map(() => ({ columns: [], rows: [], rowsAffected: 1, commit: { batch: 1, seq: 0 } })) }
    },
    query: async () => { sent.push('(a query)'); return { columns: ['column', 'type'], rows: [['k', 'INTEGER']], commit: { batch: 1, seq: 0 } } },
    execute: async (sql: string) => { sent.push(sql) },
  } as unknown as Session
  const err: string[] = []
  const out: string[] = []
  const printer = new Printer({ out: (t) => out.push(t), err: (t) => err.push(t) }, false, {})
  const input = new PassThrough()
  const output = new PassThrough()
  output.resume()
  const repl = new Repl({ session, printer, history: new History(null), input, output, baseDir: dir })
  const cwd = process.cwd()
  process.chdir(dir)   // \i and \copy read files relative to the current directory
  try {
    const ran = repl.run()
    input.write('BEGIN;\nINSERT INTO t VALUES (1);\n')
    input.write(`\\i ${join(dir, 'more.sql')}\n`)
    await until(() => err.some((e) => e.includes('\\i:')))
    input.write("\\copy t from 'rows.txt'\n")
    await until(() => err.some((e) => e.includes('\\copy:')))
    input.write('ROLLBACK;\n')
    await until(() => [...out, ...err].some((e) => e.includes('ROLLBACK')))
    input.end()
    await Promise.race([ran, new Promise((r) => setTimeout(r, RUN_TIMEOUT_MS).unref())])
  } finally {
    process.chdir(cwd)
    cleanup()
  }
  assert.equal(sent, [], err.join(''))
  assert.ok(err.some((e) => /\\i: not inside a BEGIN block: the file's statements would be sent now/.test(e)), err.join(''))
  assert.ok(err.some((e) => /\\copy: not inside a BEGIN block: its rows would commit on their own/.test(e)), err.join(''))
  assert.ok([...out, ...err].some((e) => /ROLLBACK: the BEGIN block \(1 statement\) was not sent/.test(e)), [...out, ...err].join(''))
})

test('leaving (Ctrl-D, \\q) with a BEGIN block held says that it was not sent; it used to end without a word', async () => {
  for (const leave of ['', '\\q\n']) {
    const sent: string[] = []
    const session = {
      variables: new Variables(),
      run: async (unit: Unit): Promise<UnitOutcome> => {
        sent.push(...unit.statements.map((s) => s.text))
        return { ok: true, elapsedMs: 1, results: unit.statements.map(() => ({ columns: [], rows: [], rowsAffected: 1, commit: { batch: 1, seq: 0 } })) }
      },
    } as unknown as Session
    const err: string[] = []
    const printer = new Printer({ out: () => {}, err: (t) => err.push(t) }, false, {})
    const input = new PassThrough()
    const output = new PassThrough()
    output.resume()
    const repl = new Repl({ session, printer, history: new History(null), input, output, baseDir: process.cwd() })
    const ran = repl.run()
    input.write('BEGIN;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n' + leave)
    input.end()
    const code = await Promise.race([ran, new Promise((r) => setTimeout(r, RUN_TIMEOUT_MS).unref())])
    assert.is(code, 0, JSON.stringify(leave))
    assert.equal(sent, [])
    assert.ok(err.some((e) => e.includes('left without COMMIT: the BEGIN block (2 statements) was not sent; nothing of it ran')), err.join(''))
  }
})

test('Ctrl-C with a BEGIN block held drops it and says so, as \\r does; it went without a word', async () => {
  const sent: string[] = []
  const session = {
    variables: new Variables(),
    run: async (unit: Unit): Promise<UnitOutcome> => {
      sent.push(...unit.statements.map((s) => s.text))
      return { ok: true, elapsedMs: 1, results: unit.statements.map(() => ({ columns: [], rows: [], rowsAffected: 1, commit: { batch: 1, seq: 0 } })) }
    },
  } as unknown as Session
  const err: string[] = []
  const out: string[] = []
  const printer = new Printer({ out: (t) => out.push(t), err: (t) => err.push(t) }, false, {})
  const input = new PassThrough()
  const output = new PassThrough()
  output.resume()
  const repl = new Repl({ session, printer, history: new History(null), input, output, baseDir: process.cwd() })
  const ran = repl.run()
  input.write('BEGIN;\nINSERT INTO t VALUES (1);\n')
  await until(() => [...out, ...err].some((e) => e.includes('BEGIN: the statements up to COMMIT are held')))
  input.write('\x03')
  await until(() => err.some((e) => e.includes('was not sent')))
  input.write('COMMIT;\n')
  input.end()
  await Promise.race([ran, new Promise((r) => setTimeout(r, RUN_TIMEOUT_MS).unref())])
  assert.ok(err.some((e) => e.includes('the BEGIN block (1 statement) was not sent; nothing of it ran')), err.join(''))
  assert.not.ok(err.some((e) => e.includes('left without COMMIT')), 'nothing was held any more at the end')
  assert.equal(sent, ['COMMIT;'], 'the COMMIT after it is a COMMIT of its own')
})

test.run()
