import { unitRandom } from '../../src/bench/rng.js'
export { percentile } from './rng.js'

/** Uniform keys 0..n-1 from a seeded generator. */
export function unitRandomKeys(n: number, seed: number): () => number {
  const r = unitRandom(seed)
  return () => Math.floor(r() * n)
}

/** One transfer of 1 between two distinct keys drawn from `next` (over `keys` keys); its latency is pushed to `latencies`. */
export async function timedTransfer(db: { call(fn: string, ...args: unknown[]): Promise<unknown> }, next: () => number, keys: number, latencies: number[]): Promise<void> {
  const a = next()
  let b = next()
  if (b === a) b = (a + 1) % keys
  const t0 = performance.now()
  await db.call('account.transfer', a, b, 1)
  latencies.push(performance.now() - t0)
}
