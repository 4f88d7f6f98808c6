// TPC-C NewOrder and Payment, simplified to Acheron's model (see docs/functions.md, "TPC-C"). Each row is
// a key of one table, a transaction runs at one key and reaches the others by nested calls:
//   CREATE TABLE warehouse (id INTEGER PRIMARY KEY, tax INTEGER NOT NULL DEFAULT 0, ytd INTEGER NOT NULL DEFAULT 0);
//   CREATE TABLE district  (id INTEGER PRIMARY KEY, tax INTEGER NOT NULL DEFAULT 0, ytd INTEGER NOT NULL DEFAULT 0,
//                           next_o_id INTEGER NOT NULL DEFAULT 1);                        -- id = w * 100 + d
//   CREATE TABLE customer  (id INTEGER PRIMARY KEY, discount INTEGER NOT NULL DEFAULT 0, balance INTEGER NOT NULL DEFAULT 0,
//                           ytd_payment INTEGER NOT NULL DEFAULT 0, payment_cnt INTEGER NOT NULL DEFAULT 0); -- district * 10000 + c
//   CREATE TABLE item      (id INTEGER PRIMARY KEY, price INTEGER, name TEXT);
//   CREATE TABLE stock     (id INTEGER PRIMARY KEY, quantity INTEGER NOT NULL DEFAULT 0, ytd INTEGER NOT NULL DEFAULT 0,
//                           order_cnt INTEGER NOT NULL DEFAULT 0, remote_cnt INTEGER NOT NULL DEFAULT 0); -- w * 1000000 + i
//   CREATE TABLE orders    (id INTEGER PRIMARY KEY, customer INTEGER, line_cnt INTEGER, total INTEGER, lines TEXT); -- district * 1000000 + o
// Money is INTEGER cents; tax and discount rates are basis points (1/10000), so all arithmetic is integral.
// Exports (register each with EXPORT): new_order (district.new_order), payment (warehouse.payment), and the
// per-key steps they call: warehouse_tax, district_pay, customer_discount, customer_pay, item_price,
// stock_take, order_create.
import { abort, argCount, argInt, argText, call, getInt, isNull, keyInt, retInt, rowExists, setInt, setText, Value } from "../acheron";

const DISTRICTS_PER_WAREHOUSE: i64 = 100;
const CUSTOMERS_PER_DISTRICT: i64 = 10000;
const ITEMS_PER_WAREHOUSE: i64 = 1000000;
const ORDERS_PER_DISTRICT: i64 = 1000000;

/** CALL warehouse.tax(w) → the warehouse's tax rate. */
export function warehouse_tax(): void {
  if (!rowExists()) abort("no such warehouse");
  retInt(getInt("tax"));
}

/** CALL district.pay(d, amount) → the district's new year-to-date total. */
export function district_pay(): void {
  if (!rowExists()) abort("no such district");
  const next = getInt("ytd") + argInt(0);
  setInt("ytd", next);
  retInt(next);
}

/** CALL customer.discount(c) → the customer's discount rate. */
export function customer_discount(): void {
  if (!rowExists()) abort("no such customer");
  retInt(getInt("discount"));
}

/** CALL customer.pay(c, amount) → the customer's new balance. */
export function customer_pay(): void {
  if (!rowExists()) abort("no such customer");
  const amount = argInt(0);
  const next = getInt("balance") - amount;
  setInt("balance", next);
  setInt("ytd_payment", getInt("ytd_payment") + amount);
  setInt("payment_cnt", getInt("payment_cnt") + 1);
  retInt(next);
}

/** CALL item.price(i) → the price; aborts for an unknown item (TPC-C's 1% of NewOrders that roll back). */
export function item_price(): void {
  if (!rowExists() || isNull("price")) abort("item number is not valid");
  retInt(getInt("price"));
}

/** CALL stock.take(s, quantity, remote) → the new stock quantity (restocked by 91 below 10, as in TPC-C). */
export function stock_take(): void {
  if (!rowExists()) abort("no such stock");
  const qty = argInt(0);
  const have = getInt("quantity");
  const next = have - qty >= 10 ? have - qty : have - qty + 91;
  setInt("quantity", next);
  setInt("ytd", getInt("ytd") + qty);
  setInt("order_cnt", getInt("order_cnt") + 1);
  if (argInt(1) != 0) setInt("remote_cnt", getInt("remote_cnt") + 1);
  retInt(next);
}

/** CALL orders.create(o, customer, line_cnt, total, lines) → total; aborts if the order exists. */
export function order_create(): void {
  if (rowExists()) abort("order exists");
  setInt("customer", argInt(0));
  setInt("line_cnt", argInt(1));
  setInt("total", argInt(2));
  setText("lines", argCount() > 3 ? argText(3) : "");
  retInt(argInt(2));
}

/**
 * CALL district.new_order(d, c, i1, w1, q1, i2, w2, q2, …) → the order's total in cents.
 * At district d (= w * 100 + district number): takes the next order id, reads the warehouse and district
 * tax and the customer's discount, prices every line (item i, supplying warehouse w, quantity q) and takes
 * it from that warehouse's stock, then writes the order row. An unknown item aborts the whole order.
 */
export function new_order(): void {
  const d = keyInt();
  const w = d / DISTRICTS_PER_WAREHOUSE;
  const c = argInt(0);
  const n = argCount() - 1;
  if (n <= 0 || n % 3 != 0) abort("new_order needs (customer, then item, supply warehouse, quantity per line)");
  if (!rowExists()) abort("no such district");
  const oid = getInt("next_o_id");
  setInt("next_o_id", oid + 1);
  const dTax = getInt("tax");
  const wTax = call("warehouse.tax", Value.int(w)).asInt();
  const discount = call("customer.discount", Value.int(d * CUSTOMERS_PER_DISTRICT + c)).asInt();
  let sum: i64 = 0;
  let lines = "";
  for (let l = 0; l < n / 3; l++) {
    const item = argInt(1 + 3 * l);
    const supply = argInt(2 + 3 * l);
    const qty = argInt(3 + 3 * l);
    if (qty <= 0) abort("quantity must be positive");
    const price = call("item.price", Value.int(item)).asInt();
    call("stock.take", Value.int(supply * ITEMS_PER_WAREHOUSE + item), [Value.int(qty), Value.int(supply != w ? 1 : 0)]);
    sum += price * qty;
    if (l > 0) lines += ",";
    lines += item.toString() + "x" + qty.toString();
  }
  const total = sum * (10000 - discount) / 10000 * (10000 + wTax + dTax) / 10000;
  call("orders.create", Value.int(d * ORDERS_PER_DISTRICT + oid), [Value.int(c), Value.int(n / 3), Value.int(total), Value.text(lines)]);
  retInt(total);
}

/**
 * CALL warehouse.payment(w, district number, customer number, amount) → the customer's new balance.
 * Adds the amount to the warehouse's and the district's year-to-date totals and charges the customer.
 */
export function payment(): void {
  const w = keyInt();
  const amount = argInt(2);
  if (amount <= 0) abort("payment amount must be positive");
  if (!rowExists()) abort("no such warehouse");
  setInt("ytd", getInt("ytd") + amount);
  const d = w * DISTRICTS_PER_WAREHOUSE + argInt(0);
  call("district.pay", Value.int(d), [Value.int(amount)]);
  retInt(call("customer.pay", Value.int(d * CUSTOMERS_PER_DISTRICT + argInt(1)), [Value.int(amount)]).asInt());
}
