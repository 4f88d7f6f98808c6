// The seeded generator lives with the benchmark driver (src/bench/rng.ts), which ships in the package.
export { uint32Random, unitRandom } from '../../src/bench/rng.js'
