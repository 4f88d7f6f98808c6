// The engine test suites' workloads: the harness's generators and runner (src/testing) over two fixed
// tables, with either the JS test runtime (fuel per step, so `spin` can exhaust it) or the WebAssembly
// step interpreter.
import fc from 'fast-check'
import type { OpenOptions } from '../../src/index.js'
import { replies as runReplies, runWorkload as runHarnessWorkload, stepsModule, txnArb, uniqueAppends, type EngineRun, type StepFunctions } from '../../src/testing/index.js'
import type { ModelTxn } from '../../src/testing/reference-model.js'
import { encodeSteps } from '../../src/testing/steps.js'
import { JS_RUNTIME } from './js-runtime.js'

export type { EngineRun }

export const TABLES = [
  { name: 'kv', partitions: 4 },
  { name: 'kw', partitions: 3 },
] as const
export const FUNCTION_FUEL = 60
/** Fuel of the wasm `run` (per instruction, shared by the call chain): never exhausted by a generated program. */
export const WASM_FUNCTION_FUEL = 100_000_000

/** Which runtime executes kv.run and kw.run, with what fuel. */
export interface WorkloadFunctions {
  runtime: 'js' | 'wasm'
  fuel: number
}
/** The default: the JS test runtime, fuel FUNCTION_FUEL (so `spin` can exhaust it). */
export const JS_FUNCTIONS: WorkloadFunctions = { runtime: 'js', fuel: FUNCTION_FUEL }
/** guest/assemblyscript/examples/steps.ts, with fuel no generated program exhausts. */
export const WASM_FUNCTIONS: WorkloadFunctions = { runtime: 'wasm', fuel: WASM_FUNCTION_FUEL }

/** Batches of transactions over TABLES (each inner array becomes exactly one batch). */
export const workloadArb: fc.Arbitrary<ModelTxn[][]> = fc
  .array(fc.array(txnArb(TABLES, { txns: 120 }), { minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 5 })
  .map(uniqueAppends)

function stepFunctions(fns: WorkloadFunctions): StepFunctions {
  return fns.runtime === 'wasm'
    ? { runtime: 'wasm', body: stepsModule(), fuel: fns.fuel, encode: (t) => encodeSteps(t.program), modelFuel: Infinity }
    : { runtime: 'js', body: new Uint8Array(0), fuel: fns.fuel, encode: (t) => JSON.stringify(t.program), modelFuel: fns.fuel }
}

/** Runs the batches (each `flush`ed into exactly one batch, all submitted before any completes). */
export function runWorkload(batches: readonly (readonly ModelTxn[])[], options: OpenOptions, fns: WorkloadFunctions = JS_FUNCTIONS): Promise<EngineRun> {
  return runHarnessWorkload({ tables: TABLES, batches }, { ...options, runtimes: { js: JS_RUNTIME } }, stepFunctions(fns))
}

/** Every reply of a run (values, rows, failures, positions), for comparing runs. */
export const replies = runReplies
