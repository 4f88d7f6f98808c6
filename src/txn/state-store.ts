/**
 * How the coordinator reaches the state (the checkpoint file and what waits for it): an async seam with
 * two implementations — `ThreadStateStore` (a data directory; the work runs on the state thread) and
 * `LocalStateStore` (memory mode; the work runs on the calling thread). Every call acts in the order it
 * was made: a run or a digest sees exactly the batches applied before it.
 */
import type { ReaderFaults } from '../storage/sqlite-reader.js'
import type { BaseSnapshot, ReleasedEffects, StoredState } from '../storage/state-file.js'
import type { Row } from '../values.js'
import type { Checkpointed, StateRun, StateService, StateTxn } from './state-service.js'

export interface StateStore {
  load(): Promise<StoredState>
  /** A released batch's effects, in batch order; `encodedWrites` is their shared binary form, if made. */
  apply(effects: ReleasedEffects, encodedWrites: Uint8Array | null): void
  /** Runs a transaction alone over the applied state, its clocks reading `timeMs` (StateService.run). */
  run(txn: StateTxn, timeMs: number): Promise<StateRun>
  digest(): Promise<string>
  scanTable(name: string): Promise<Row[]>
  /** Takes a checkpoint now (close, tests). */
  checkpoint(): Promise<void>
  /**
   * A reader of the checkpoint for executing on the calling thread (`workers: 0`); `faults`: the
   * reader's deliberate bugs (src/txn/faults.ts).
   */
  localReader(faults?: ReaderFaults): BaseSnapshot
  /** The file execution workers open their own readers on; null in memory mode (no workers). */
  readonly readerFile: string | null
  /** Called after each checkpoint. */
  onCheckpoint: ((c: Checkpointed) => void) | null
  /** Called once if the store can no longer keep up with the state (its thread died): the engine stops. */
  onFailure: ((e: Error) => void) | null
  close(): Promise<void>
}

/** The state on the calling thread: memory mode. */
export class LocalStateStore implements StateStore {
  onCheckpoint: ((c: Checkpointed) => void) | null = null
  onFailure: ((e: Error) => void) | null = null
  readonly readerFile = null

  constructor(private readonly svc: StateService, private readonly reader: BaseSnapshot) {
    svc.onCheckpoint = (c) => this.onCheckpoint?.(c)
  }

  async load(): Promise<StoredState> {
    return this.svc.load()
  }

  apply(effects: ReleasedEffects): void {
    this.svc.apply(effects)
  }

  run(txn: StateTxn, timeMs: number): Promise<StateRun> {
    const run = this.svc.run(txn, timeMs)
    // Answered on a later turn of the event loop, as the state thread would: a caller awaiting reads in
    // a loop must not starve its own timers and I/O.
    return new Promise((resolve) => setImmediate(() => resolve(run)))
  }

  async digest(): Promise<string> {
    return this.svc.digest()
  }

  async scanTable(name: string): Promise<Row[]> {
    return this.svc.scanTable(name)
  }

  async checkpoint(): Promise<void> {
    this.svc.checkpoint()
  }

  localReader(): BaseSnapshot {
    return this.reader
  }

  async close(): Promise<void> {
    this.svc.close()
  }
}
