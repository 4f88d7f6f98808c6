// Oracle 1 (declared-order replay) for the engine suites: the harness's oracle over TABLES.
import { checkDeclaredOrderReplay, type EngineRun } from '../../src/testing/index.js'
import type { ModelTxn } from '../../src/testing/reference-model.js'
import { TABLES } from './workload.js'

/** Throws (a PropertyFailure) at the first disagreement with the model replaying in (batch, seq) order. */
export function checkAgainstModel(batches: readonly (readonly ModelTxn[])[], run: EngineRun, fuel: number): void {
  checkDeclaredOrderReplay({ tables: TABLES, batches }, run, fuel)
}
