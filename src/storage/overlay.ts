/**
 * What an executing thread reads: the last checkpoint (a BaseSnapshot) with the row images of every
 * released batch since laid over it. Checkpoints lag behind the released batches by design, so each
 * execution thread keeps the images the coordinator ships at release; an image is dropped once a
 * snapshot shows a checkpoint that holds its batch.
 *
 * Rows read from the checkpoint are kept too (`clean`, bounded): such a row can only change through a
 * released write, which replaces it here at once, so it stays right across snapshots and checkpoints.
 *
 * A table created after the checkpoint has no partition tables in it yet (or an older table of the
 * same name has): until the checkpoint reaches its creation, its rows come from the overlay alone.
 */
import type { CatalogData, TableDef } from '../schema/catalog.js'
import type { RowKey } from '../schema/keys.js'
import type { BaseReader, RowWrite } from '../schema/rows.js'
import type { Row } from '../values.js'
import type { BaseSnapshot } from './state-file.js'

interface Image {
  readonly batch: number
  readonly row: Row | null
}

/** Rows read from the checkpoint kept per thread; beyond this many the cache starts over. */
export const CLEAN_ROWS_MAX = 250_000

export class OverlayReader implements BaseReader {
  private readonly images = new Map<RowKey, Image>()
  /** Rows as the checkpoint holds them (undefined: absent), for keys with no image. */
  private clean = new Map<RowKey, Row | undefined>()
  /** The checkpoint position images were last pruned at. */
  private prunedAt = 0
  /** Table (lower-cased) → the batch that created its current definition, when after the checkpoint. */
  private readonly createdAt = new Map<string, number>()

  constructor(private readonly base: BaseSnapshot) {}

  /** Row images the overlay holds (for stats and memory bounds). */
  get size(): number {
    return this.images.size
  }

  /** A released batch's writes: visible to every later snapshot. */
  applyReleased(batch: number, writes: readonly RowWrite[]): void {
    const clean = this.clean
    for (const w of writes) {
      this.images.set(w.rowKey, { batch, row: w.row })
      if (clean.size > 0) clean.delete(w.rowKey)
    }
  }

  /** Batch `batch` dropped or (re)created these tables (lower-cased names): their old rows are gone. */
  tablesChanged(batch: number, tables: readonly string[]): void {
    if (tables.length === 0) return
    const gone = new Set(tables)
    for (const rk of this.images.keys()) {
      if (gone.has(rk.slice(0, rk.indexOf('\u0000')))) this.images.delete(rk)
    }
    this.clean = new Map()
    for (const t of tables) this.createdAt.set(t, batch)
  }

  begin(catalog: CatalogData): void {
    this.base.begin(catalog)
    this.prune(this.base.position)
  }

  /**
   * Drops images the base now holds: those whose batch is at or before its position. One pass over the
   * images each time the checkpoint advances (checkpoints are seconds apart, batches milliseconds).
   */
  private prune(position: number): void {
    if (position <= this.prunedAt) return
    this.prunedAt = position
    // A pruned image is exactly what the checkpoint now holds for its row: it stays as a clean row.
    let clean = this.clean
    for (const [rk, img] of this.images) {
      if (img.batch > position) continue
      this.images.delete(rk)
      if (clean.size >= CLEAN_ROWS_MAX) clean = this.clean = new Map()
      clean.set(rk, img.row ?? undefined)
    }
    for (const [t, b] of this.createdAt) if (b <= position) this.createdAt.delete(t)
  }

  read(table: TableDef, key: bigint | string, rk: RowKey): Row | undefined {
    const img = this.images.get(rk)
    if (img !== undefined) return img.row ?? undefined
    if (this.createdAt.size > 0 && this.createdAt.has(table.name.toLowerCase())) return undefined
    const clean = this.clean
    const hit = clean.get(rk)
    if (hit !== undefined || clean.has(rk)) return hit
    const row = this.base.read(table, key, rk)
    if (clean.size >= CLEAN_ROWS_MAX) this.clean = new Map()
    this.clean.set(rk, row)
    return row
  }

  end(): void {
    this.base.end()
  }

  close(): void {
    this.base.close()
  }
}
