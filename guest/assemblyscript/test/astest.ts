// Test module for the runtime's own tests (not an example): traps, memory limit and fresh state in AssemblyScript.
import { argInt, retInt, txnTimeMs } from "../acheron";

let counter: i32 = 0;

/** Bumps a global and a heap cell; from a fresh state it always returns 2. */
export function fresh(): void {
  counter++;
  const cell = new Array<i32>(1);
  cell[0] = cell[0] + 1;
  retInt(<i64>(counter + cell[0]));
}

/** Allocates argInt(0) bytes: beyond the declared maximum the stub allocator's memory.grow fails. */
export function hog(): void {
  const b = new ArrayBuffer(<i32>argInt(0));
  retInt(b.byteLength);
}

/** The batch's time, through the library's wrapper. */
export function time(): void {
  retInt(txnTimeMs());
}

/** Throws: AssemblyScript calls env.abort with the message, file and position. */
export function boom(): void {
  throw new Error("boom");
}
