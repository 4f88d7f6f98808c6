// Which property catches each mutant of src/testing/mutants.ts within how many runs (seed 5), and the
// in-process check the mutant tests run (harness.test.ts; the cluster's in harness-cluster*.test.ts).
import * as assert from 'uvu/assert'
import { MUTANTS, runCheck, type CheckOptions } from '../../src/testing/index.js'
import { natsTest } from '../support/nats.js'

/** One `acheron check` in this process, without shrinking, its lines kept for the message of a failure. */
export async function quiet(o: Omit<CheckOptions, 'out' | 'shrink'> & { shrink?: boolean }): Promise<{ failed: number; lines: string[] }> {
  const lines: string[] = []
  const r = await runCheck({ shrink: false, ...o, out: (l) => lines.push(l) })
  return { failed: r.failed, lines }
}

// Protocol bugs: the black-box checker (over WebSocket, trusting no declared order) and the replay
// oracle each catch them. Durability bugs: the crash property.
export const CATCHERS: Record<string, { property: string; runs: number }[]> = {
  'skip-ww-check': [{ property: 'elle', runs: 80 }, { property: 'replay', runs: 25 }],
  'skip-raw-check': [{ property: 'elle', runs: 80 }, { property: 'replay', runs: 25 }],
  'stale-snapshot': [{ property: 'elle', runs: 80 }, { property: 'replay', runs: 25 }],
  'arrival-order-tiebreak': [{ property: 'elle', runs: 80 }, { property: 'replay', runs: 25 }],
  'double-apply': [{ property: 'elle', runs: 80 }, { property: 'replay', runs: 25 }],
  'ack-before-durable': [{ property: 'crash', runs: 25 }],
  'wrong-recovery-position': [{ property: 'crash', runs: 25 }],
  'replay-from-wrong-position': [{ property: 'crash', runs: 25 }],
  'checkpoint-first-image': [{ property: 'replay', runs: 25 }, { property: 'crash', runs: 25 }],
  'log-zeros-over-entries': [{ property: 'crash', runs: 25 }],
  // At run 2 with this seed (2026-12-06): a transaction that read the batch time was acknowledged, and
  // its batch, which the checkpoint lacked at the kill, was replayed after the restart at a later time.
  'replay-reads-clock': [{ property: 'crash', runs: 25 }],
  // At run 2 with this seed (2026-12-06): a scenario whose restart ran on a clock an hour behind, with a
  // call that read the batch time on either side of it.
  'open-forgets-batch-time': [{ property: 'crash', runs: 25 }],
  // Caught at run 8 with this seed: a run catches it once an ALTER adds partitions and a later read
  // looks for a row no batch wrote yet.
  // crash: at run 3 with this seed (one scenario in four alters, and a restart reads every row afresh).
  'repartition-reads-catalog-layout': [{ property: 'replay', runs: 40 }, { property: 'crash', runs: 25 }],
  // At run 1 with this seed (2026-12-05): an ADD COLUMN batch, then a call reading a row the checkpoint holds.
  'add-column-reads-catalog-columns': [{ property: 'replay', runs: 25 }, { property: 'determinism', runs: 25 }],
  'rename-reads-catalog-key': [{ property: 'replay', runs: 25 }, { property: 'determinism', runs: 25 }],
  // At run 10 with this seed (2026-12-05): ADD a1, DROP a1, ADD a1 with another default; the row
  // written before reads the old value in the reused place.
  'add-reuses-dropped-place': [{ property: 'replay', runs: 25 }],
  // Runs with no workers whatever the test asks (the bug lives in the coordinator thread's executor).
  // At run 19 with this seed since the workloads drop columns (2026-12-05; run 1 before).
  'walk-ahead-misses-unreleased-writes': [{ property: 'replay', runs: 40 }],
  // Needs a batch of at least 2 × CONTENTION_SAMPLE_MIN transactions that its sample predicts contended.
  'contended-sample-unchecked': [{ property: 'replay', runs: 25 }, { property: 'determinism', runs: 25 }],
  // On the cluster it brings along: caught once a scenario has a node join from a snapshot and a batch
  // follow that snapshot: at run 4 with this seed (seed 5, 2026-12-02).
  'snapshot-resumes-late': [{ property: 'crash', runs: 40 }],
  // Caught once a scenario pauses the writer with a batch in flight, which it acknowledges once resumed,
  // fenced: at run 8 with this seed (since the kill points are drawn uniformly, 2026-12-02); at run 7 since
  // half of those scenarios start their follower late (2026-12-07).
  'fenced-append-acked': [{ property: 'crash', runs: 10 }],
  // Caught once a scenario pauses the writer with a batch in flight and a follower starts late, taking the
  // lease at its start: the resumed writer's batch is acknowledged, and a read through the new writer
  // misses it. At run 5 with this seed, every time since (2026-12-07) the batch is the stream's first
  // transaction alone and the rest waits for that read (before, the rest, forwarded by the resumed writer,
  // raced it and the catch was timing's), and since the watchdog no longer counts the pause against the
  // batch in flight (which voided it, so nothing was acknowledged to miss). A join scenario catches it too,
  // at run 10.
  'writer-skips-start-fence': [{ property: 'crash', runs: 8 }],
  // At run 2 with this seed (2026-12-04): a client appends, then scans through the follower, which
  // lags HARNESS_FOLLOW_DELAY_MS a batch, and does not see its append.
  'follower-reads-ignore-position': [{ property: 'elle', runs: 10 }],
  // At run 1 with this seed: a traced position later in its batch than a transaction it depends on.
  'commit-trace-skips-batch-prefix': [{ property: 'trace', runs: 10 }],
  // At run 1 with this seed (2026-12-06): a traced call that read the batch time (a `time` step).
  'commit-trace-reads-clock': [{ property: 'trace', runs: 10 }],
  // Both at run 2 with this seed (2026-12-02): once the trace subject's copies of the checkpoint rolled and
  // its log dropped segments behind the oldest.
  'trace-base-unheld': [{ property: 'trace', runs: 10 }],
  'trace-base-batch-behind': [{ property: 'trace', runs: 10 }],
}

/**
 * Cluster mutants whose tests have a file of their own, harness-cluster-FILE.test.ts (mutant → FILE):
 * each scenario of theirs waits out writer leases, so that one file of them all took 560 to 1,000 s of
 * the runner's 20 minutes per file. harness-cluster.test.ts runs the others.
 */
export const CLUSTER_MUTANTS_ALONE: Readonly<Record<string, string>> = {
  'snapshot-resumes-late': 'snapshot', 'fenced-append-acked': 'fence', 'writer-skips-start-fence': 'start-fence',
}

/** Registers, for each cluster mutant named, a test per catcher (skipped, and counted so, without nats-server). */
export function clusterMutantTests(names: readonly string[]): void {
  for (const name of names) {
    const m = MUTANTS.find((x) => x.name === name)
    if (m === undefined || m.cluster !== true) throw new Error(`${name} is not a cluster mutant`)
    for (const { property, runs } of CATCHERS[name] ?? []) {
      natsTest(`mutant ${name} is caught by ${property}`, async () => {
        const r = await quiet({ seed: 5, runs, txns: 100, workers: 2, crash: false, mutant: name, properties: [property] })
        assert.is(r.failed, 1, `not caught in ${runs} runs:\n${r.lines.join('\n')}`)
      })
    }
  }
}
