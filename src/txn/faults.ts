/**
 * Deliberate engine bugs, for the research harness only (src/testing/mutants.ts): `acheron check
 * --mutant NAME` turns one on to show that some property catches it. Nothing sets these otherwise; the
 * protocol-level mutants need no fault here, they are Protocol plug-ins.
 */
export interface EngineFaults {
  /**
   * Acknowledge a batch's transactions as soon as it has executed, before its commit is durable; the
   * commit still happens, later (write-behind): a kill in between loses acknowledged transactions.
   */
  readonly ackBeforeDurable?: boolean
  /**
   * Recover the sequencer one batch behind the durable log: the first batch after a restart reuses the
   * number of the last batch before it, so two batches publish the same positions.
   */
  readonly recoverOneBatchBack?: boolean
}

/** How long the `ackBeforeDurable` fault leaves an acknowledged last batch uncommitted (a lazy flusher). */
export const ACK_BEFORE_DURABLE_DELAY_MS = 20
