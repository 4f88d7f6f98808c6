// The server log's lines of functions' `log()` calls. They are written when a transaction's outcome is
// released, from the lines of the execution that decided it (TxnResult.logs, TxnFailure.logs), not as a
// function runs: an execution may run again (Aria's re-execution of a conflicting transaction, the
// fallback), and a recovery's or a follower's replay runs every batch again, and each wrote its lines
// to the server log once more. So a call's lines appear once, on the node that answered it.
//
// The server log takes at most FUNCTION_LOG_LINES_PER_SECOND_MAX lines and FUNCTION_LOG_BYTES_PER_SECOND_MAX
// bytes of them a second: a function that logs 64 lines of 4 KiB per call, called a thousand times a
// second, wrote 255 MiB in seven seconds. Lines beyond are counted and said in one line. The callers who
// asked for their lines (WITH LOGS) get them all; only the operator's log is thinned. Time decides only
// what the server log keeps, never what a transaction sees.
import type { LogFn } from './execution-host.js'
import type { DataTxn, TxnInput, TxnOutcome, TxnResult } from './types.js'

/** Function log lines the server log takes per second (the rest are counted, then said in one line). */
export const FUNCTION_LOG_LINES_PER_SECOND_MAX = 1_000
/** Bytes of function log lines the server log takes per second. */
export const FUNCTION_LOG_BYTES_PER_SECOND_MAX = 1024 * 1024
const WINDOW_MS = 1_000

/** The function a statement called (the label of its lines), or null if it calls none. */
function calledFunction(input: TxnInput): string | null {
  return input.kind === 'call' ? input.fn : null
}

function stepFunction(steps: readonly DataTxn[], i: number): string | null {
  const step = steps[i]
  return step === undefined ? null : calledFunction(step)
}

export class FunctionLog {
  private windowStart = Number.NEGATIVE_INFINITY
  private lines = 0
  private bytes = 0
  private droppedLines = 0
  private droppedBytes = 0
  private droppedSince = 0

  constructor(
    private readonly log: LogFn,
    private readonly linesMax = FUNCTION_LOG_LINES_PER_SECOND_MAX,
    private readonly bytesMax = FUNCTION_LOG_BYTES_PER_SECOND_MAX,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Writes the `log()` lines of `outcome`, each labelled with the function its statement called. */
  write(input: TxnInput, outcome: TxnOutcome): void {
    if (input.kind === 'multi') {
      if (outcome.ok) {
        const steps: readonly TxnResult[] = outcome.result.steps ?? []
        steps.forEach((r, i) => this.writeLines(stepFunction(input.steps, i), r.logs))
      } else {
        this.writeLines(stepFunction(input.steps, outcome.failure.step ?? -1), outcome.failure.logs)
      }
      return
    }
    this.writeLines(calledFunction(input), outcome.ok ? outcome.result.logs : outcome.failure.logs)
  }

  private writeLines(fn: string | null, lines: readonly string[] | undefined): void {
    if (lines === undefined || fn === null || lines.length === 0) return
    const t = this.now()
    if (t - this.windowStart >= WINDOW_MS) {
      this.sayDropped(t)
      this.windowStart = t
      this.lines = 0
      this.bytes = 0
    }
    for (const line of lines) {
      const size = Buffer.byteLength(line)
      if (this.lines >= this.linesMax || this.bytes + size > this.bytesMax) {
        if (this.droppedLines === 0) this.droppedSince = t
        this.droppedLines++
        this.droppedBytes += size
        continue
      }
      this.lines++
      this.bytes += size
      this.log(fn, line, 'function')
    }
  }

  private sayDropped(t: number): void {
    if (this.droppedLines === 0) return
    this.log('log', `${this.droppedLines} function log lines (${this.droppedBytes} bytes) left out of the server log in the last ${((t - this.droppedSince) / 1000).toFixed(1)} s: it takes at most ${this.linesMax} lines and ${this.bytesMax} bytes of them a second (FUNCTION_LOG_LINES_PER_SECOND_MAX, FUNCTION_LOG_BYTES_PER_SECOND_MAX); callers who asked for them (WITH LOGS) got them all`, 'warn')
    this.droppedLines = 0
    this.droppedBytes = 0
  }
}
