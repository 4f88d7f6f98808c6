// What opening a database costs, each in a fresh process (threads started, modules loaded, as `npm start`
// and every test pay): open() of an empty directory; a reopen of one holding a function, and that
// function's first call; and, in one process, a whole fresh engine as the research harness opens one per
// run and shrink (open with 2 workers, a table, a function, one call, close). Medians of ROUNDS.
// `npm run bench` runs it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { open } from '../src/embedded.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const BANK = fileURLToPath(new URL('../guest/bank.wasm', import.meta.url))
const COLUMNS = [{ name: 'id', type: 'TEXT' as const, primaryKey: true }, { name: 'balance', type: 'INTEGER' as const, notNull: true, default: 0 }]

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

/** One measurement in this (fresh) process; prints its numbers as JSON. */
async function child(mode: string, dir: string): Promise<void> {
  const t = performance.now()
  const db = await open({ dir })
  const openMs = performance.now() - t
  if (mode === 'make') {
    await db.createTable({ name: 'account', partitions: 4, columns: COLUMNS })
    await db.createFunction('account.deposit', readFileSync(BANK), { export: 'deposit' })
  }
  let firstCallMs = 0
  if (mode !== 'empty') {
    const c = performance.now()
    await db.call('account.deposit', 'a', 1)
    firstCallMs = performance.now() - c
  }
  await db.close()
  console.log(JSON.stringify({ openMs, firstCallMs, cpuMs: process.cpuUsage().user / 1000 }))
}

function inChild(mode: string, dir: string): { openMs: number; firstCallMs: number; cpuMs: number } {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'child', mode, dir], { encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').pop() as string) as { openMs: number; firstCallMs: number; cpuMs: number }
}

async function freshEngineMs(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-open-'))
  try {
    const t = performance.now()
    const db = await open({ dir, workers: 2 })
    await db.createTable({ name: 'account', partitions: 4, columns: COLUMNS })
    await db.createFunction('account.deposit', readFileSync(BANK), { export: 'deposit' })
    await db.call('account.deposit', 'a', 1)
    await db.close()
    return performance.now() - t
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const empty: ReturnType<typeof inChild>[] = []
  const reopen: ReturnType<typeof inChild>[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-open-'))
    try {
      empty.push(inChild('empty', dir))
      inChild('make', dir)
      reopen.push(inChild('reopen', dir))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  await freshEngineMs() // the preparation thread's first module (binaryen's load) is not a harness run's cost
  const fresh: number[] = []
  for (let i = 0; i < ROUNDS; i++) fresh.push(await freshEngineMs())
  const f = (ms: number): string => ms.toFixed(0)
  console.log(`\nopen-cost: medians of ${ROUNDS}, each open in a fresh process (default options)\n`)
  console.log('| what | wall ms | first call ms | process CPU ms |')
  console.log('|---|---|---|---|')
  console.log(`| open() of an empty directory, close | ${f(median(empty.map((r) => r.openMs)))} | – | ${f(median(empty.map((r) => r.cpuMs)))} |`)
  console.log(`| reopen of a directory holding one function, one call, close | ${f(median(reopen.map((r) => r.openMs)))} | ${f(median(reopen.map((r) => r.firstCallMs)))} | ${f(median(reopen.map((r) => r.cpuMs)))} |`)
  console.log(`| a fresh engine in one process (2 workers, table, function, call, close), as the harness opens one | ${f(median(fresh))} | – | – |`)
}

if (process.argv[2] === 'child') await child(process.argv[3] as string, process.argv[4] as string)
else await main()
