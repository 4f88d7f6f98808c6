import { unitRandom } from '../../src/bench/rng.js'
export { percentile } from './rng.js'

/** Uniform keys 0..n-1 from a seeded generator. */
export function unitRandomKeys(n: number, seed: number): () => number {
  const r = unitRandom(seed)
  return () => Math.floor(r() * n)
}
