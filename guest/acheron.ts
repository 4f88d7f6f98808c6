// The AssemblyScript guest library under the name a function project imports it by:
//   import { argInt, retInt } from "acheron/guest/acheron";
// The AssemblyScript compiler resolves a package import as a path inside node_modules/acheron (it does
// not read package.json "exports"), so this file forwards to guest/assemblyscript/acheron.ts, which is
// also what the "exports" entry `acheron/guest/acheron.ts` names for TypeScript tooling.
export * from "./assemblyscript/acheron";
