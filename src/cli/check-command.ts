// `acheron check [--seed S] [--runs N] [--txns N] [--partitions N] [--workers N] [--crash] [--mutant NAME]
// [--list-mutants] [--property P]... [--path P] [--no-shrink]` (CONTRACT.md §7).
import { randomInt } from 'node:crypto'
import { parseArgs } from 'node:util'
import { loadProtocol } from './protocol-loader.js'
import { runCheck } from '../testing/check.js'
import { MUTANTS } from '../testing/mutants.js'

function int(name: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, not ${v}`)
  return n
}

export async function checkCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      seed: { type: 'string' },
      runs: { type: 'string' },
      txns: { type: 'string' },
      partitions: { type: 'string' },
      workers: { type: 'string' },
      crash: { type: 'boolean', default: false },
      mutant: { type: 'string' },
      'list-mutants': { type: 'boolean', default: false },
      property: { type: 'string', multiple: true },
      path: { type: 'string' },
      protocol: { type: 'string' },
      'no-shrink': { type: 'boolean', default: false },
    },
  })
  if (values['list-mutants']) {
    for (const m of MUTANTS) out(`${m.name.padEnd(24)} ${m.bug}`)
    return 0
  }
  // The seed only picks workloads; it is printed, so any run can be replayed.
  const seed = int('seed', values.seed, randomInt(2 ** 31), 0)
  const partitions = values.partitions === undefined ? undefined : int('partitions', values.partitions, 1, 1)
  const report = await runCheck({
    seed,
    runs: int('runs', values.runs, 100, 1),
    txns: int('txns', values.txns, 100, 1),
    workers: int('workers', values.workers, 2, 0),
    crash: values.crash,
    mutant: values.mutant ?? null,
    shrink: !values['no-shrink'],
    out,
    ...(partitions !== undefined ? { partitions } : {}),
    ...(values.property !== undefined ? { properties: values.property } : {}),
    ...(values.path !== undefined ? { path: values.path } : {}),
    ...(values.protocol !== undefined ? { protocol: await loadProtocol(values.protocol), protocolSpec: values.protocol } : {}),
  })
  return report.failed === 0 ? 0 : 1
}
