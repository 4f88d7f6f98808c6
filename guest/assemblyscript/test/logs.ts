// Test module for CALL … WITH LOGS and CREATE FUNCTIONS: functions that write log() lines.
// Table: CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0)
import { abort, argInt, argText, call, getInt, log, retInt, setInt, Value } from "../acheron";

/** CALL t.say(k, n): logs "line 0" … "line n-1", returns n. */
export function say(): void {
  const n = argInt(0);
  for (let i: i64 = 0; i < n; i++) log("line " + i.toString());
  retInt(n);
}

/** CALL t.bump(k): v += 1, logs "v=<new v>", returns it (conflicting bumps are re-executed). */
export function bump(): void {
  const v = getInt("v") + 1;
  setInt("v", v);
  log("v=" + v.toString());
  retInt(v);
}

/** CALL t.relay(k, other, n): logs "relay", then t.say at key `other` (its lines follow). */
export function relay(): void {
  log("relay");
  retInt(call("t.say", Value.text(argText(0)), [Value.int(argInt(1))]).asInt());
}

/** CALL t.fail(k): logs a line, then aborts the transaction. */
export function fail(): void {
  log("about to abort");
  abort("failing on purpose");
}

/** Not a function body (it takes an argument): CREATE FUNCTIONS t.* leaves it out. */
export function helper(x: i32): i32 {
  return x + 1;
}
