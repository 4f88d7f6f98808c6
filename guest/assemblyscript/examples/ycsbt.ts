// YCSB-T style functions: CREATE TABLE usertable (id INTEGER PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0, payload TEXT);
// usertable.read, usertable.update, usertable.add, usertable.transfer (the multi-key transaction).
import { abort, arg, argInt, argText, argCount, call, getInt, retInt, setInt, setText, Value } from "../acheron";

/** CALL usertable.read(k) → value. */
export function read(): void {
  retInt(getInt("value"));
}

/** CALL usertable.update(k, value [, payload]) → value. */
export function update(): void {
  const v = argInt(0);
  setInt("value", v);
  if (argCount() > 1) setText("payload", argText(1));
  retInt(v);
}

/** CALL usertable.add(k, delta) → the new value. */
export function add(): void {
  const next = getInt("value") + argInt(0);
  setInt("value", next);
  retInt(next);
}

/** CALL usertable.transfer(from, to, amount) → from's new value; aborts if it would go negative. */
export function transfer(): void {
  const to = arg(0);
  const amount = argInt(1);
  const current = getInt("value");
  if (current < amount) abort("insufficient value");
  setInt("value", current - amount);
  call("usertable.add", to, [Value.int(amount)]);
  retInt(current - amount);
}
