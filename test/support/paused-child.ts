// The process of the watchdog's pause test (test/unit/watchdog.test.ts): an embedded Acheron with one
// execution worker runs a transaction of about half a second, and the process stops itself (SIGSTOP) in
// the middle of it; the parent resumes it seconds later. It prints one JSON line: the call's reply or error.
//
//   node dist/test/support/paused-child.js <dir> <txnWallMsMax>
import { writeSync } from 'node:fs'
import { AcheronError, open } from '../../src/index.js'
import { FUEL_MAX } from '../../src/schema/catalog.js'
import { abiModule } from '../wasm-exec/wat.js'
import { BURN_WAT } from './burn-wat.js'

/** How long the transaction that the pause lands in runs, about. */
const TXN_MS = 500

const burn = abiModule(BURN_WAT)

const [dir, wall] = process.argv.slice(2)
const db = await open({ dir: dir as string, workers: 1, txnWallMsMax: Number(wall) })
await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);')
await db.createFunction('t.burn', burn, { fuel: FUEL_MAX })
// How many iterations take TXN_MS on this machine now.
const probe = 200_000
const started = performance.now()
await db.call('t.burn', 1, probe)
const iterations = Math.max(probe, Math.round(probe * TXN_MS / Math.max(1, performance.now() - started)))
const call = db.call('t.burn', 2, iterations)
await new Promise((resolve) => setTimeout(resolve, TXN_MS / 5))
process.kill(process.pid, 'SIGSTOP')
const reply = await call.then((r) => ({ ok: true, value: Number(r.value) }), (err: unknown) => ({ ok: false, code: err instanceof AcheronError ? err.code : 'none', message: String(err) }))
writeSync(1, `${JSON.stringify({ ...reply, iterations })}\n`)
await db.close()
