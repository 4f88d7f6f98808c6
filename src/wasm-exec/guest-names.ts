/**
 * Names a guest passes by pointer on every invocation (`col`, `call_begin`): decoded once, then found by
 * their bytes. A transfer names its column and its callee every time; decoding them was a fresh view and
 * a fresh string per host call. A hit compares every byte, so the result is what decoding would give.
 */
export const GUEST_NAME_CACHE_ENTRIES_MAX = 1024

/** Names are short (identifiers); a longer string is decoded without the cache. */
export const GUEST_NAME_BYTES_MAX = 256

const decoder = new TextDecoder('utf-8', { fatal: false })

interface Entry {
  readonly bytes: Uint8Array
  readonly name: string
}

export class GuestNames {
  private readonly byHash = new Map<number, Entry>()

  /** The UTF-8 text of `mem[p, p+n)` (bounds already checked by the caller). */
  decode(mem: Uint8Array, p: number, n: number): string {
    if (n > GUEST_NAME_BYTES_MAX) return decoder.decode(mem.subarray(p, p + n))
    const h = guestNameHash(mem, p, n)
    const hit = this.byHash.get(h)
    if (hit !== undefined && sameBytes(hit.bytes, mem, p, n)) return hit.name
    const bytes = mem.slice(p, p + n)
    const name = decoder.decode(bytes)
    if (this.byHash.size >= GUEST_NAME_CACHE_ENTRIES_MAX) this.byHash.clear()
    this.byHash.set(h, { bytes, name })
    return name
  }
}

/** FNV-1a over the bytes and the length, kept to a small integer (a map key that needs no heap number). */
export function guestNameHash(mem: Uint8Array, p: number, n: number): number {
  let h = 0x811c9dc5 ^ n
  for (let i = p; i < p + n; i++) h = Math.imul(h ^ (mem[i] as number), 0x01000193)
  return h & 0x3fffffff
}

function sameBytes(a: Uint8Array, mem: Uint8Array, p: number, n: number): boolean {
  if (a.length !== n) return false
  for (let i = 0; i < n; i++) if (a[i] !== mem[p + i]) return false
  return true
}
