/**
 * What an executing thread reads: the last checkpoint (a BaseSnapshot) with the row images of every
 * released batch since laid over it. Checkpoints lag behind the released batches by design, so each
 * execution thread keeps the images the coordinator ships at release; an image is dropped once a
 * snapshot shows a checkpoint that holds its batch.
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

/** Entries dropped from the front of the age queue before it is compacted. */
const QUEUE_COMPACT_AT = 65_536

export class OverlayReader implements BaseReader {
  private readonly images = new Map<RowKey, Image>()
  /** Row keys in the order their images arrived, with the batch that wrote them: pruning walks it. */
  private readonly ageKeys: RowKey[] = []
  private readonly ageBatches: number[] = []
  private ageHead = 0
  /** Table (lower-cased) → the batch that created its current definition, when after the checkpoint. */
  private readonly createdAt = new Map<string, number>()

  constructor(private readonly base: BaseSnapshot) {}

  /** Row images the overlay holds (for stats and memory bounds). */
  get size(): number {
    return this.images.size
  }

  /** A released batch's writes: visible to every later snapshot. */
  applyReleased(batch: number, writes: readonly RowWrite[]): void {
    for (const w of writes) {
      this.images.set(w.rowKey, { batch, row: w.row })
      this.ageKeys.push(w.rowKey)
      this.ageBatches.push(batch)
    }
  }

  /** Batch `batch` dropped or (re)created these tables (lower-cased names): their old rows are gone. */
  tablesChanged(batch: number, tables: readonly string[]): void {
    if (tables.length === 0) return
    const gone = new Set(tables)
    for (const rk of this.images.keys()) {
      if (gone.has(rk.slice(0, rk.indexOf('\u0000')))) this.images.delete(rk)
    }
    for (const t of tables) this.createdAt.set(t, batch)
  }

  begin(catalog: CatalogData): void {
    this.base.begin(catalog)
    this.prune(this.base.position)
  }

  /** Drops images the base now holds: those whose batch is at or before its position. */
  private prune(position: number): void {
    let h = this.ageHead
    const keys = this.ageKeys
    const batches = this.ageBatches
    while (h < keys.length && (batches[h] as number) <= position) {
      const rk = keys[h] as RowKey
      const img = this.images.get(rk)
      if (img !== undefined && img.batch <= position) this.images.delete(rk)
      h++
    }
    this.ageHead = h
    if (h >= QUEUE_COMPACT_AT && h * 2 >= keys.length) {
      keys.splice(0, h)
      batches.splice(0, h)
      this.ageHead = 0
    }
    for (const [t, b] of this.createdAt) if (b <= position) this.createdAt.delete(t)
  }

  read(table: TableDef, key: bigint | string, rk: RowKey): Row | undefined {
    const img = this.images.get(rk)
    if (img !== undefined) return img.row ?? undefined
    if (this.createdAt.size > 0 && this.createdAt.has(table.name.toLowerCase())) return undefined
    return this.base.read(table, key, rk)
  }

  end(): void {
    this.base.end()
  }

  close(): void {
    this.base.close()
  }
}
