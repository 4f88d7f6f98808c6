/**
 * What an executing thread reads: the last checkpoint (a BaseSnapshot) with the row images of every
 * released batch since laid over it. Checkpoints lag behind the released batches by design, so each
 * execution thread keeps the images the coordinator ships at release.
 *
 * One map holds every row this thread knows: the latest released image of a row, or the row as the
 * checkpoint holds it (read once, kept: such a row changes only through a released write, which
 * replaces it here at once). So a read is one lookup, a released write one store. Only the memory bound
 * looks at positions: beyond ROWS_MAX rows, the ones a checkpoint already holds are dropped (those
 * newer than the checkpoint stay; the engine bounds them with dirtyWritesMax).
 *
 * A table created after the checkpoint has no partition tables in it yet (or an older table of the
 * same name has): until the checkpoint reaches its creation, its rows come from here alone.
 */
import type { CatalogData, TableDef } from '../schema/catalog.js'
import type { RowKey } from '../schema/keys.js'
import type { BaseReader, RowWrite } from '../schema/rows.js'
import type { Row } from '../values.js'
import type { BaseSnapshot } from './state-file.js'

interface Known {
  /** The batch that wrote this image; 0 when it came from the checkpoint. */
  batch: number
  row: Row | null
}

/** Rows kept per thread; beyond, the ones a checkpoint holds are dropped. */
export const ROWS_MAX = 1_000_000

export class OverlayReader implements BaseReader {
  private rows = new Map<RowKey, Known>()
  /** Table (lower-cased) → the batch that created its current definition, when after the checkpoint. */
  private readonly createdAt = new Map<string, number>()

  constructor(private readonly base: BaseSnapshot) {}

  /** Rows this thread holds (for stats and memory bounds). */
  get size(): number {
    return this.rows.size
  }

  /** A released batch's writes: visible to every later snapshot. */
  applyReleased(batch: number, writes: readonly RowWrite[]): void {
    const rows = this.rows
    for (const w of writes) {
      const known = rows.get(w.rowKey)
      if (known !== undefined) {
        known.batch = batch
        known.row = w.row
      } else rows.set(w.rowKey, { batch, row: w.row })
    }
  }

  /** Batch `batch` dropped or (re)created these tables (lower-cased names): their old rows are gone. */
  tablesChanged(batch: number, tables: readonly string[]): void {
    if (tables.length === 0) return
    const gone = new Set(tables)
    for (const rk of this.rows.keys()) {
      if (gone.has(rk.slice(0, rk.indexOf('\u0000')))) this.rows.delete(rk)
    }
    for (const t of tables) this.createdAt.set(t, batch)
  }

  begin(catalog: CatalogData): void {
    this.base.begin(catalog)
    // The base's position only when needed: asking for it starts its read of the checkpoint file.
    if (this.createdAt.size > 0) {
      const position = this.base.position
      for (const [t, b] of this.createdAt) if (b <= position) this.createdAt.delete(t)
    }
    if (this.rows.size > ROWS_MAX) this.evict(this.base.position)
  }

  /** Drops the rows the checkpoint at `position` holds (they can be read again from it). */
  private evict(position: number): void {
    const kept = new Map<RowKey, Known>()
    for (const [rk, k] of this.rows) if (k.batch > position) kept.set(rk, k)
    this.rows = kept
  }

  read(table: TableDef, key: bigint | string, rk: RowKey): Row | undefined {
    const known = this.rows.get(rk)
    if (known !== undefined) return known.row ?? undefined
    if (this.createdAt.size > 0 && this.createdAt.has(table.name.toLowerCase())) return undefined
    const row = this.base.read(table, key, rk)
    this.rows.set(rk, { batch: 0, row: row ?? null })
    return row
  }

  end(): void {
    this.base.end()
  }

  close(): void {
    this.base.close()
  }
}
