/**
 * Elle-style black-box anomaly checker for list-append histories (Kingsbury & Alvaro, "Elle: Inferring
 * Isolation Anomalies from Experimental Observations", VLDB 2020), and a generator of valid histories.
 * Independent of the engine: nothing here imports from the rest of src/. See docs/elle.md.
 */
export type { Anomaly, AnomalyKind, CheckOptions, CheckResult, HistoryTxn, ListAppendOp } from './history.js'
export { assertWellFormed, MalformedHistoryError } from './history.js'
export { ANOMALIES_PER_KIND_MAX, checkListAppend } from './check.js'
export { generateSerialHistory, type SerialHistory, type SerialHistoryOptions } from './serial-history.js'
export { rngOf, type Rng } from './rng.js'
