import type { TableDef } from './catalog.js'
import type { SqlValue } from '../values.js'

/**
 * The identity of one row across the engine: `table\0key`. Tables are lower-cased (names are
 * case-insensitive) and a table's keys are all INTEGER or all TEXT, so `String(key)` is unambiguous.
 */
export type RowKey = string

const prefixes = new WeakMap<TableDef, string>()
const lowerNames = new WeakMap<TableDef, string>()

/** The lower-cased `table\0` prefix of a table's row keys, computed once per definition. */
export function rowKeyPrefix(table: TableDef): string {
  let p = prefixes.get(table)
  if (p === undefined) {
    p = tableKeyName(table) + '\u0000'
    prefixes.set(table, p)
  }
  return p
}

/**
 * A table's name lower-cased, as row writes and row keys name it, computed once per definition (a
 * transaction's every write named its table with a new string before).
 */
export function tableKeyName(table: TableDef): string {
  let n = lowerNames.get(table)
  if (n === undefined) {
    n = table.name.toLowerCase()
    lowerNames.set(table, n)
  }
  return n
}

export function rowKeyOf(table: TableDef, key: SqlValue): RowKey {
  return rowKeyPrefix(table) + String(key)
}

/** Table name (lower-cased) of a row key. */
export function tableOfRowKey(rk: RowKey): string {
  return rk.slice(0, rk.indexOf('\u0000'))
}

/**
 * The partition of a key: FNV-1a (32-bit) over the UTF-16 code units of its text form, modulo the
 * table's partition count. Pure and stable across processes and versions: changing it moves data.
 */
export function partitionOf(table: TableDef, key: SqlValue): number {
  return partitionOfKey(key, table.partitions)
}

/** partitionOf for a partition count given apart from its table (a checkpoint's layout may lag the catalog's). */
export function partitionOfKey(key: SqlValue, partitions: number): number {
  const s = String(key)
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % partitions
}

/** Keys in the one deterministic order used for digests and scans: INTEGER numerically, TEXT by code unit. */
export function compareKeys(a: SqlValue, b: SqlValue): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0
  const sa = String(a)
  const sb = String(b)
  return sa < sb ? -1 : sa > sb ? 1 : 0
}

/**
 * Below this many elements the row-key sorts use insertion sort: `Array.prototype.sort` allocates a
 * work area on every call, and a transaction's footprint (sorted once per execution) is a few rows.
 */
const INSERTION_SORT_MAX = 16

/** Sorts row keys in place in code-unit order (as `sort()` would) and returns them. */
export function sortRowKeys(keys: RowKey[]): RowKey[] {
  return keys.length > INSERTION_SORT_MAX ? keys.sort() : insertionSort(keys, (k) => k)
}

/** Sorts records in place by their row key, in code-unit order, and returns them. */
export function sortByRowKey<T extends { readonly rowKey: RowKey }>(items: T[]): T[] {
  return items.length > INSERTION_SORT_MAX
    ? items.sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0))
    : insertionSort(items, (x) => x.rowKey)
}

function insertionSort<T>(items: T[], keyOf: (item: T) => RowKey): T[] {
  for (let i = 1; i < items.length; i++) {
    const item = items[i] as T
    const k = keyOf(item)
    let j = i - 1
    while (j >= 0 && keyOf(items[j] as T) > k) {
      items[j + 1] = items[j] as T
      j--
    }
    items[j + 1] = item
  }
  return items
}
