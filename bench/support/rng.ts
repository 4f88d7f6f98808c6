// Moved to src/bench/rng.ts (the `acheron bench` command needs it in the package); kept for the scripts here.
export { unitRandom as mulberry32, keyChooser, percentile } from '../../src/bench/rng.js'
