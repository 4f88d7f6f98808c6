// The compact text encoding of a step program that the WebAssembly interpreter
// (guest/assemblyscript/examples/steps.ts) reads: easy to parse without JSON. One step after another:
//   r | w<int>; | i<int>; | a<len>:<item> | x<int>; | d | c<len>:<fn><int>;<len>:<program> | s<int>; | t
// for read, write, incr, append, abortIf, delete, call (fn, key, the callee's encoded program), spin and
// time.
// <int> is an optional '-' and decimal digits; <len> counts UTF-16 code units (String#length), as
// AssemblyScript strings do.

/**
 * A step of a `run` program at one key of a table with columns `v` INTEGER and `log` TEXT: what the
 * harness's generated transactions are made of. The WebAssembly interpreter
 * (guest/assemblyscript/examples/steps.ts) and the test JS runtime execute them; the reference model
 * (reference-model.ts) gives them their meaning independently.
 */
export type Step =
  | { op: 'read' }
  | { op: 'write'; value: number }
  | { op: 'incr'; by: number }
  | { op: 'append'; item: string }
  | { op: 'abortIf'; gt: number }
  | { op: 'delete' }
  | { op: 'call'; fn: string; key: number; steps: Step[] }
  | { op: 'spin'; units: number }
  /**
   * Reads the transaction's batch time (the ABI's txn_time_ms): pushes it as a decimal string and appends
   * `@<ms>` to `log`. The workloads (workload.ts: one call in TIME_STEP_ONE_IN) and the crash scenarios
   * draw it; elle's list-append reading of `log` never sees one.
   */
  | { op: 'time' }

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`steps: not a safe integer: ${n}`)
  return `${n};`
}

function text(s: string): string {
  return `${s.length}:${s}`
}

export function encodeSteps(steps: readonly Step[]): string {
  let out = ''
  for (const s of steps) {
    switch (s.op) {
      case 'read': out += 'r'; break
      case 'write': out += `w${int(s.value)}`; break
      case 'incr': out += `i${int(s.by)}`; break
      case 'append': out += `a${text(s.item)}`; break
      case 'abortIf': out += `x${int(s.gt)}`; break
      case 'delete': out += 'd'; break
      case 'call': out += `c${text(s.fn)}${int(s.key)}${text(encodeSteps(s.steps))}`; break
      case 'spin': out += `s${int(s.units)}`; break
      case 'time': out += 't'; break
    }
  }
  return out
}
