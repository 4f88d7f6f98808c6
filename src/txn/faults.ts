/**
 * Deliberate engine bugs, for the research harness only (src/testing/mutants.ts): `acheron check
 * --mutant NAME` turns one on to show that some property catches it. Nothing sets these otherwise; the
 * protocol-level mutants need no fault here, they are Protocol plug-ins.
 */
export interface EngineFaults {
  /**
   * Acknowledge a batch once it has executed, without waiting for its log entry to be durable; the
   * entry is written later (a lazy log writer): a kill in between loses acknowledged transactions.
   */
  readonly ackBeforeDurable?: boolean
  /**
   * Recover the sequencer one batch behind the log: the first batch after a restart reuses the number
   * of the last batch before it, so two batches publish the same positions.
   */
  readonly recoverOneBatchBack?: boolean
  /**
   * Replay the log from the wrong position: one batch after the first one the checkpoint lacks, so
   * that batch is lost at every restart.
   */
  readonly replayFromWrongPosition?: boolean
  /** A checkpoint keeps the first image a row had since the last checkpoint, not the last one. */
  readonly checkpointFirstImage?: boolean
  /**
   * Recovery and following execute a logged batch at the time of their own clock, not at the time
   * logged with it: what read a clock (CURRENT_TIMESTAMP, a clock default, txn_time_ms) gets another
   * value than the first execution published (test/sql/time.test.ts).
   */
  readonly replayReadsClock?: boolean
  /**
   * An open forgets the batch times of the past once it has recovered: the last one the checkpoint keeps
   * and those of the batches it read in the log. After a restart on a clock stepped back, the batches
   * are stamped earlier than the batches before the restart.
   */
  readonly openForgetsBatchTime?: boolean
  /**
   * The log's preallocation (`sync: 'full'`) writes its zeros from the start of the group just written
   * instead of after it, after every group: acknowledged entries become zeros, which an open reads as
   * the preallocated end (src/log/file-log.ts).
   */
  readonly preallocateOverEntries?: boolean
  /**
   * A follower of a JetStream log applies every batch entry the writer released, also one the writer
   * voided after it (src/log/jetstream-log.ts): it re-runs a batch that never took effect.
   */
  readonly followerAppliesVoided?: boolean
  /**
   * A follower adopts the newest executions the writer sent it, without checking that they are those of
   * the batch it applies (src/txn/adopted.ts): it releases another batch's results as this one's.
   */
  readonly followerAdoptsNewest?: boolean
  /**
   * The writer of a JetStream log purges the batches after a snapshot it just handed out as it would any
   * other (src/log/snapshots.ts): the follower starting from it may find the batches it needs gone.
   */
  readonly snapshotPurgeUnheld?: boolean
  /**
   * A follower that starts (on a new data directory, or restarted on its own) does not ask the writer
   * to hold the batches after its state (src/log/snapshots.ts): a purge between its open and its first
   * read stops it.
   */
  readonly followerJoinsUnheld?: boolean
  /**
   * A writer uses its followers' phase-1 executions without regard to the state they were made on (a
   * follower lags the writer by the batches it has not applied yet): none is marked stale, so one that
   * read a row a later batch wrote commits what it computed from the old value (src/txn/shared-phase1.ts).
   */
  readonly sharedPhase1IgnoresPosition?: boolean
  /**
   * A follower answers a read-only query from the state it holds when the writer's position comes,
   * without waiting to apply that batch (src/txn/engine.ts, readFollowing): a client that wrote through
   * the writer and then reads through a lagging follower does not see its own write.
   */
  readonly followerReadsIgnorePosition?: boolean
  /**
   * A node that starts from the writer's snapshot resumes the stream one batch after the next one it
   * needs (src/embedded.ts): it never applies the first batch the snapshot lacks.
   */
  readonly snapshotResumesLate?: boolean
  /**
   * A follower whose directory fell behind the stream's purge puts the writer's snapshot in place of its
   * checkpoint without first folding in and removing the old file's write-ahead log
   * (src/storage/state-file.ts, replaceCheckpointFile): after a crash left frames there, SQLite reads
   * the old pages through the new file.
   */
  readonly snapshotKeepsOldWal?: boolean
  /**
   * The writer of a JetStream log takes the stream's refusal of an entry whose expected sequence is no
   * longer the last (another writer appended: this one is fenced) for its acknowledgement
   * (src/log/jetstream-log.ts): a writer that lost its lease acknowledges batches the stream never held.
   */
  readonly fencedAppendAcked?: boolean
  /**
   * A writer that took the stream's lease at its start (it was free: the writer before was paused past
   * its lease, or NATS granted it twice) does not fence the stream after its replay (src/txn/engine.ts,
   * Engine.start): the writer before it, resumed, appends and acknowledges batches this one never read,
   * and this one answers reads from a state without them.
   */
  readonly writerSkipsStartFence?: boolean
  /**
   * EXPLAIN COMMIT (batch, seq) rebuilds the state before the position's batch and leaves out the
   * transactions before it in that batch (src/inspect/commit-trace-thread.ts): a trace of seq > 0 shows
   * another state than the one the transaction committed on.
   */
  readonly commitTraceSkipsBatchPrefix?: boolean
  /**
   * EXPLAIN COMMIT re-runs a position at the time of the trace thread's own clock, not at the time logged
   * with its batch (src/inspect/commit-trace-thread.ts), as it once did: a trace of what read a clock
   * (CURRENT_TIMESTAMP, txn_time_ms) shows another value than the one committed.
   */
  readonly commitTraceReadsClock?: boolean
  /**
   * The log drops what its checkpoint no longer needs as if no trace base needed it (src/inspect/trace-bases.ts):
   * EXPLAIN COMMIT of a position after the oldest base, which it promises to re-run, finds its batches gone.
   */
  readonly traceBaseUnheld?: boolean
  /**
   * A trace base's copy says it holds one batch less than it does: EXPLAIN COMMIT from it replays that
   * batch a second time, on a state that already has it.
   */
  readonly traceBaseBatchBehind?: boolean
  /**
   * Execution threads locate a row in the checkpoint by the partition count of the catalog they execute
   * with, not the checkpoint's own: after ALTER TABLE … PARTITIONS, until the checkpoint reaches it,
   * they look in the wrong partition table (and miss the row) or in one that is not there yet.
   */
  readonly repartitionReadsCatalogLayout?: boolean
  /**
   * Execution threads read a row from the checkpoint by the columns of the catalog they execute with,
   * not the checkpoint's own: after ALTER TABLE … ADD COLUMN, until the checkpoint reaches it, they ask
   * for a column its tables do not have yet.
   */
  readonly addColumnReadsCatalogColumns?: boolean
  /**
   * Execution threads find a row in the checkpoint by the key column's name in the catalog they execute
   * with, not the checkpoint's own: after ALTER TABLE … RENAME COLUMN of the key, until the checkpoint
   * reaches it, they ask for a column its tables do not have yet.
   */
  readonly renameReadsCatalogKey?: boolean
  /**
   * ALTER TABLE … ADD COLUMN puts the new column in the place of a dropped one instead of last
   * (src/txn/ddl.ts): rows written before the drop read the dropped column's old values there instead
   * of the new column's default.
   */
  readonly addReusesDroppedPlace?: boolean
  /**
   * With no workers, a batch's walks start before the batches ahead of it are released, and read
   * their writes laid over the released state (src/txn/pipelined-executor.ts); with this fault they
   * read the released state alone: a transaction misses what the batch just before it wrote.
   */
  readonly walksAheadWithoutImages?: boolean
  /**
   * A function's `set_real` of -0.0 keeps the sign in the row image (src/txn/coerce.ts) instead of
   * storing +0.0 as SQLite does: reads served from the engine's images see -0.0 until the row is
   * checkpointed, +0.0 after, so 1/x is -Infinity or +Infinity by timing. Execution on the coordinator's
   * thread only (`workers: 0`); test/unit/negative-zero.test.ts catches it.
   */
  readonly keepNegativeZero?: boolean
  /**
   * A follower answers, from a batch it applies, every forwarded call whose request id is one of its
   * own, whichever follower's inbox the call's origin names (src/txn/engine.ts, replayBatch): two
   * followers number their requests alike, so one answers its client with the outcome of another's call.
   * test/cluster/answers-from-log.test.ts catches it.
   */
  readonly ownCallsIgnoreInbox?: boolean
  /**
   * A follower fails as not run the calls an earlier writer took as soon as a new writer says it knows
   * nothing of them (src/cluster/forwarding.ts, settleNotRun), without waiting to apply every batch up to
   * the new writer's start: a call the dead writer logged in a batch the follower has not applied yet is
   * said not to have run, and commits. test/cluster/answers-from-log.test.ts catches it.
   */
  readonly notRunBeforeApplied?: boolean
}

/** How long the `ackBeforeDurable` fault holds back a log entry (a lazy writer). */
export const ACK_BEFORE_DURABLE_DELAY_MS = 20
