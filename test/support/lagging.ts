// Options for tests of what execution threads read while the checkpoint lags behind: no checkpoint
// while the test runs (only a clean close or db.checkpoint() takes one), so reads go to the executors'
// row images or to an older checkpoint, and the test's JavaScript functions (`t.run`) are loaded.
import type { OpenOptions } from '../../src/index.js'
import { JS_RUNTIME } from './js-runtime.js'

export const LAGGING_CHECKPOINT: OpenOptions = { sync: 'full', checkpointIntervalMs: 3_600_000, checkpointWritesMax: 10_000_000, runtimes: { js: JS_RUNTIME } }
