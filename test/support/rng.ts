/** mulberry32: a small seeded PRNG returning uint32s, so that every test and benchmark run replays. */
export function uint32Random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** The same generator as floats in [0, 1). */
export function unitRandom(seed: number): () => number {
  const next = uint32Random(seed)
  return () => next() / 4294967296
}
