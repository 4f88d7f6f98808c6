// The workloads `acheron bench` knows, by name (a module of its own: tpcc.ts builds on workloads.ts).
import { TPCC } from './tpcc.js'
import { SMALLBANK, YCSBT, type Workload } from './workloads.js'

export const WORKLOADS: Readonly<Record<string, Workload>> = { ycsbt: YCSBT, smallbank: SMALLBANK, tpcc: TPCC }
