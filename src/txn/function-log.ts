// The server log's lines of functions' `log()` calls. They are written when a transaction's outcome is
// released, from the lines of the execution that decided it (TxnResult.logs, TxnFailure.logs), not as a
// function runs: an execution may run again (Aria's re-execution of a conflicting transaction, the
// fallback), and a recovery's or a follower's replay runs every batch again, and each wrote its lines
// to the server log once more. So a call's lines appear once, on the node that answered it.
import type { LogFn } from './execution-host.js'
import type { DataTxn, TxnInput, TxnOutcome, TxnResult } from './types.js'

/** The function a statement called (the label of its lines), or null if it calls none. */
function calledFunction(input: DataTxn | TxnInput): string | null {
  return input.kind === 'call' ? input.fn : null
}

function writeLines(log: LogFn, fn: string | null, lines: readonly string[] | undefined): void {
  if (lines === undefined || fn === null) return
  for (const line of lines) log(fn, line)
}

/** Writes the `log()` lines of `outcome`, each labelled with the function its statement called. */
export function logFunctionLines(log: LogFn, input: TxnInput, outcome: TxnOutcome): void {
  if (input.kind === 'multi') {
    if (outcome.ok) {
      const steps: readonly TxnResult[] = outcome.result.steps ?? []
      steps.forEach((r, i) => writeLines(log, stepFunction(input.steps, i), r.logs))
    } else {
      writeLines(log, stepFunction(input.steps, outcome.failure.step ?? -1), outcome.failure.logs)
    }
    return
  }
  writeLines(log, calledFunction(input), outcome.ok ? outcome.result.logs : outcome.failure.logs)
}

function stepFunction(steps: readonly DataTxn[], i: number): string | null {
  const step = steps[i]
  return step === undefined ? null : calledFunction(step)
}
