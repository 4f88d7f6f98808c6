// TPC-C NewOrder and Payment for `acheron bench tpcc`, over the guest library's tpcc.ts (which documents
// the simplified schema and key layout: district = w·100 + d, customer = district·10000 + c, stock =
// w·1000000 + i, order = district·1000000 + o). The inputs follow TPC-C §2.4 and §2.5 where the model
// allows: 10 districts per warehouse, 3,000 customers per district, customers and items drawn by NURand,
// 5-15 lines per order, 1% of the supplying warehouses remote, 1% of the NewOrders naming an unused item
// (they roll back), Payment amounts 1.00-5,000.00. Simplifications: a transaction's home warehouse is
// drawn uniformly (no terminals bound to warehouses); customers are chosen by number (never by last
// name); Payment's customer is in the home district; the mix is NewOrder 45 : Payment 43.
// Row values are plain arithmetic of the key, so every system loads exactly the same data.
import type { Scale, Txn, Workload } from './workloads.js'
import { functionStatements, insertStatements } from './workloads.js'

export const DISTRICTS_PER_WAREHOUSE = 10
export const CUSTOMERS_PER_DISTRICT = 3_000
/** Of the NewOrder + Payment mix of TPC-C (45% and 43% of the full five-transaction mix). */
const NEW_ORDER_SHARE = 45 / 88
/** NURand's run-time constants C (TPC-C §2.1.6), fixed so that a seed replays the same inputs. */
const C_CUSTOMER = 259
const C_ITEM = 7_911

const districtKey = (w: number, d: number): number => w * 100 + d
const customerKey = (district: number, c: number): number => district * 10_000 + c
const stockKey = (w: number, i: number): number => w * 1_000_000 + i

/** Row values: arithmetic of the key, the same in TypeScript and in SQL (PostgreSQL's generate_series). */
const warehouseTax = (w: number): number => (w * 7919) % 2001
const districtTax = (d: number): number => (d * 7919) % 2001
const customerDiscount = (c: number): number => (c * 7919) % 5001
const itemPrice = (i: number): number => 100 + ((i * 7919) % 9901)
const stockQuantity = (s: number): number => 10 + ((s * 7919) % 91)

function nuRand(rand: () => number, a: number, x: number, y: number, c: number): number {
  const r = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))
  return (((r(0, a) | r(x, y)) + c) % (y - x + 1)) + x
}

function* tpccLoad(s: Scale): Iterable<string> {
  const W = s.warehouses
  yield* insertStatements('warehouse', 1, W + 1, (w) => `(${w}, ${warehouseTax(w)}, 0)`)
  const districts = W * DISTRICTS_PER_WAREHOUSE
  const district = (k: number): number => districtKey(1 + Math.floor(k / DISTRICTS_PER_WAREHOUSE), 1 + (k % DISTRICTS_PER_WAREHOUSE))
  yield* insertStatements('district', 0, districts, (k) => `(${district(k)}, ${districtTax(district(k))}, 0, 1)`)
  yield* insertStatements('customer', 0, districts * CUSTOMERS_PER_DISTRICT, (k) => {
    const id = customerKey(district(Math.floor(k / CUSTOMERS_PER_DISTRICT)), 1 + (k % CUSTOMERS_PER_DISTRICT))
    return `(${id}, ${customerDiscount(id)}, 0, 0, 0)`
  })
  yield* insertStatements('item', 1, s.items + 1, (i) => `(${i}, ${itemPrice(i)}, 'item ${i}')`)
  yield* insertStatements('stock', 0, W * s.items, (k) => {
    const id = stockKey(1 + Math.floor(k / s.items), 1 + (k % s.items))
    return `(${id}, ${stockQuantity(id)}, 0, 0, 0)`
  })
}

const TABLES = `
CREATE TABLE warehouse (id INTEGER PRIMARY KEY, tax INTEGER NOT NULL DEFAULT 0, ytd INTEGER NOT NULL DEFAULT 0) PARTITIONS $P;
CREATE TABLE district (id INTEGER PRIMARY KEY, tax INTEGER NOT NULL DEFAULT 0, ytd INTEGER NOT NULL DEFAULT 0, next_o_id INTEGER NOT NULL DEFAULT 1) PARTITIONS $P;
CREATE TABLE customer (id INTEGER PRIMARY KEY, discount INTEGER NOT NULL DEFAULT 0, balance INTEGER NOT NULL DEFAULT 0, ytd_payment INTEGER NOT NULL DEFAULT 0, payment_cnt INTEGER NOT NULL DEFAULT 0) PARTITIONS $P;
CREATE TABLE item (id INTEGER PRIMARY KEY, price INTEGER, name TEXT) PARTITIONS $P;
CREATE TABLE stock (id INTEGER PRIMARY KEY, quantity INTEGER NOT NULL DEFAULT 0, ytd INTEGER NOT NULL DEFAULT 0, order_cnt INTEGER NOT NULL DEFAULT 0, remote_cnt INTEGER NOT NULL DEFAULT 0) PARTITIONS $P;
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER, line_cnt INTEGER, total INTEGER, lines TEXT) PARTITIONS $P;`

/** Function name → export of guest/assemblyscript/examples/tpcc.ts. */
const FUNCTIONS: readonly (readonly [string, string])[] = [
  ['district.new_order', 'new_order'], ['warehouse.payment', 'payment'], ['warehouse.tax', 'warehouse_tax'],
  ['district.pay', 'district_pay'], ['customer.discount', 'customer_discount'], ['customer.pay', 'customer_pay'],
  ['item.price', 'item_price'], ['stock.take', 'stock_take'], ['orders.create', 'order_create'],
]

function newOrder(s: Scale, rand: () => number): Txn {
  const w = 1 + Math.floor(rand() * s.warehouses)
  const d = 1 + Math.floor(rand() * DISTRICTS_PER_WAREHOUSE)
  const c = nuRand(rand, 1023, 1, CUSTOMERS_PER_DISTRICT, C_CUSTOMER)
  const lines = 5 + Math.floor(rand() * 11)
  const rollback = rand() < 0.01
  const args = [c]
  for (let l = 0; l < lines; l++) {
    const item = rollback && l === lines - 1 ? s.items + 1 : nuRand(rand, 8191, 1, s.items, C_ITEM)
    let supply = w
    if (s.warehouses > 1 && rand() < 0.01) {
      supply = 1 + Math.floor(rand() * (s.warehouses - 1))
      if (supply >= w) supply++
    }
    args.push(item, supply, 1 + Math.floor(rand() * 10))
  }
  return { type: 'new_order', key: districtKey(w, d), args }
}

function payment(s: Scale, rand: () => number): Txn {
  const w = 1 + Math.floor(rand() * s.warehouses)
  const d = 1 + Math.floor(rand() * DISTRICTS_PER_WAREHOUSE)
  const c = nuRand(rand, 1023, 1, CUSTOMERS_PER_DISTRICT, C_CUSTOMER)
  return { type: 'payment', key: w, args: [d, c, 100 + Math.floor(rand() * 499_901)] }
}

const PG_SCHEMA = (s: Scale): string => `
${TABLES.replaceAll(' PARTITIONS $P', '').replaceAll('INTEGER', 'BIGINT')}
INSERT INTO warehouse SELECT w, (w * 7919) % 2001, 0 FROM generate_series(1::bigint, ${s.warehouses}) w;
INSERT INTO district SELECT w * 100 + d, ((w * 100 + d) * 7919) % 2001, 0, 1
  FROM generate_series(1::bigint, ${s.warehouses}) w, generate_series(1::bigint, ${DISTRICTS_PER_WAREHOUSE}) d;
INSERT INTO customer SELECT id, (id * 7919) % 5001, 0, 0, 0
  FROM (SELECT (w * 100 + d) * 10000 + c AS id FROM generate_series(1::bigint, ${s.warehouses}) w, generate_series(1::bigint, ${DISTRICTS_PER_WAREHOUSE}) d,
        generate_series(1::bigint, ${CUSTOMERS_PER_DISTRICT}) c) k;
INSERT INTO item SELECT i, 100 + (i * 7919) % 9901, 'item ' || i FROM generate_series(1::bigint, ${s.items}) i;
INSERT INTO stock SELECT id, 10 + (id * 7919) % 91, 0, 0, 0
  FROM (SELECT w * 1000000 + i AS id FROM generate_series(1::bigint, ${s.warehouses}) w, generate_series(1::bigint, ${s.items}) i) k;
-- The guest's new_order, statement for statement; RAISE is its abort. lines: item, supplying warehouse, quantity per line.
CREATE FUNCTION new_order(d_id bigint, c_num bigint, lines bigint[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  w_id bigint := d_id / 100; n int := coalesce(array_length(lines, 1), 0) / 3;
  oid bigint; d_tax bigint; w_tax bigint; disc bigint; v_sum bigint := 0; v_total bigint;
  v_item bigint; v_supply bigint; v_qty bigint; v_price bigint; v_have bigint; v_lines text := '';
BEGIN
  IF n = 0 OR coalesce(array_length(lines, 1), 0) % 3 <> 0 THEN RAISE EXCEPTION 'new_order needs (customer, then item, supply warehouse, quantity per line)'; END IF;
  SELECT next_o_id, tax INTO oid, d_tax FROM district WHERE id = d_id;
  IF NOT FOUND THEN RAISE EXCEPTION 'no such district'; END IF;
  UPDATE district SET next_o_id = oid + 1 WHERE id = d_id;
  SELECT tax INTO w_tax FROM warehouse WHERE id = w_id;
  IF NOT FOUND THEN RAISE EXCEPTION 'no such warehouse'; END IF;
  SELECT discount INTO disc FROM customer WHERE id = d_id * 10000 + c_num;
  IF NOT FOUND THEN RAISE EXCEPTION 'no such customer'; END IF;
  FOR l IN 0 .. n - 1 LOOP
    v_item := lines[3 * l + 1]; v_supply := lines[3 * l + 2]; v_qty := lines[3 * l + 3];
    IF v_qty <= 0 THEN RAISE EXCEPTION 'quantity must be positive'; END IF;
    SELECT price INTO v_price FROM item WHERE id = v_item;
    IF NOT FOUND OR v_price IS NULL THEN RAISE EXCEPTION 'item number is not valid'; END IF;
    SELECT quantity INTO v_have FROM stock WHERE id = v_supply * 1000000 + v_item;
    IF NOT FOUND THEN RAISE EXCEPTION 'no such stock'; END IF;
    UPDATE stock SET quantity = CASE WHEN v_have - v_qty >= 10 THEN v_have - v_qty ELSE v_have - v_qty + 91 END,
      ytd = ytd + v_qty, order_cnt = order_cnt + 1, remote_cnt = remote_cnt + CASE WHEN v_supply <> w_id THEN 1 ELSE 0 END
      WHERE id = v_supply * 1000000 + v_item;
    v_sum := v_sum + v_price * v_qty;
    IF l > 0 THEN v_lines := v_lines || ','; END IF;
    v_lines := v_lines || v_item || 'x' || v_qty;
  END LOOP;
  v_total := v_sum * (10000 - disc) / 10000 * (10000 + w_tax + d_tax) / 10000;
  INSERT INTO orders VALUES (d_id * 1000000 + oid, c_num, n, v_total, v_lines);
  RETURN v_total;
END $$;
CREATE FUNCTION payment(w_id bigint, d_num bigint, c_num bigint, amount bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE d_id bigint := w_id * 100 + d_num; v_balance bigint;
BEGIN
  IF amount <= 0 THEN RAISE EXCEPTION 'payment amount must be positive'; END IF;
  UPDATE warehouse SET ytd = ytd + amount WHERE id = w_id;
  IF NOT FOUND THEN RAISE EXCEPTION 'no such warehouse'; END IF;
  UPDATE district SET ytd = ytd + amount WHERE id = d_id;
  IF NOT FOUND THEN RAISE EXCEPTION 'no such district'; END IF;
  UPDATE customer SET balance = balance - amount, ytd_payment = ytd_payment + amount, payment_cnt = payment_cnt + 1
    WHERE id = d_id * 10000 + c_num RETURNING balance INTO v_balance;
  IF NOT FOUND THEN RAISE EXCEPTION 'no such customer'; END IF;
  RETURN v_balance;
END $$;`

export const TPCC: Workload = {
  name: 'tpcc',
  description: 'TPC-C NewOrder (45) and Payment (43): 10 districts and 30,000 customers per warehouse, 5-15 lines per order, 1% of orders roll back',
  stream(scale, _key, rand) {
    return () => (rand() < NEW_ORDER_SHARE ? newOrder(scale, rand) : payment(scale, rand))
  },
  acheron: {
    guest: 'tpcc',
    tables: ['warehouse', 'district', 'customer', 'item', 'stock', 'orders'],
    ddl: (partitions, hex) => `${TABLES.replaceAll('$P', String(partitions))} ${functionStatements(FUNCTIONS, hex)}`,
    load: tpccLoad,
    call: (t) => ({ fn: t.type === 'new_order' ? 'district.new_order' : 'warehouse.payment', key: t.key, args: t.args }),
  },
  invariant: {
    description: "TPC-C's consistency condition 1, summed over warehouses: warehouse ytd = the districts' ytd",
    queries: ['SELECT SUM(ytd) FROM warehouse', 'SELECT SUM(ytd) FROM district'],
  },
  postgres: {
    schema: PG_SCHEMA,
    call: (t) => (t.type === 'new_order'
      ? { name: 'new_order', text: 'SELECT new_order($1, $2, $3)', values: [t.key, t.args[0] as number, t.args.slice(1)] }
      : { name: 'payment', text: 'SELECT payment($1, $2, $3, $4)', values: [t.key, ...t.args] }),
  },
  sqlite: {
    schema: TABLES.replaceAll(' PARTITIONS $P', ''),
    load(db, s) {
      for (const statement of tpccLoad(s)) db.exec(statement)
    },
    prepare(db) {
      const one = (sql: string): ((...k: number[]) => number[] | undefined) => {
        const st = db.prepare(sql).raw()
        return (...k) => st.get(...k) as number[] | undefined
      }
      const run = (sql: string): ((...v: unknown[]) => void) => {
        const st = db.prepare(sql)
        return (...v) => void st.run(...v)
      }
      const district = one('SELECT next_o_id, tax FROM district WHERE id = ?')
      const warehouse = one('SELECT tax FROM warehouse WHERE id = ?')
      const customer = one('SELECT discount FROM customer WHERE id = ?')
      const item = one('SELECT price FROM item WHERE id = ?')
      const stock = one('SELECT quantity, ytd, order_cnt, remote_cnt FROM stock WHERE id = ?')
      const setNextOrder = run('UPDATE district SET next_o_id = ? WHERE id = ?')
      const setStock = run('UPDATE stock SET quantity = ?, ytd = ?, order_cnt = ?, remote_cnt = ? WHERE id = ?')
      const createOrder = run('INSERT INTO orders VALUES (?, ?, ?, ?, ?)')
      const payWarehouse = run('UPDATE warehouse SET ytd = ytd + ? WHERE id = ?')
      const payDistrict = run('UPDATE district SET ytd = ytd + ? WHERE id = ?')
      const payCustomer = run('UPDATE customer SET balance = balance - ?, ytd_payment = ytd_payment + ?, payment_cnt = payment_cnt + 1 WHERE id = ?')
      return (t) => {
        if (t.type === 'payment') {
          const [d = 0, c = 0, amount = 0] = t.args
          const dId = t.key * 100 + d
          if (amount <= 0 || warehouse(t.key) === undefined || district(dId) === undefined || customer(customerKey(dId, c)) === undefined) return 'aborted'
          payWarehouse(amount, t.key)
          payDistrict(amount, dId)
          payCustomer(amount, amount, customerKey(dId, c))
          return 'committed'
        }
        // Every check before the first write: an abort leaves nothing behind, as a rollback would.
        const [c = 0, ...lines] = t.args
        const w = Math.trunc(t.key / 100)
        const n = lines.length / 3
        const dRow = district(t.key)
        const wRow = warehouse(w)
        const cRow = customer(customerKey(t.key, c))
        if (n === 0 || lines.length % 3 !== 0 || dRow === undefined || wRow === undefined || cRow === undefined) return 'aborted'
        const prices: number[] = []
        for (let l = 0; l < n; l++) {
          const price = item(lines[3 * l] as number)?.[0]
          if ((lines[3 * l + 2] as number) <= 0 || price === undefined || price === null) return 'aborted'
          if (stock(stockKey(lines[3 * l + 1] as number, lines[3 * l] as number)) === undefined) return 'aborted'
          prices.push(price)
        }
        const [oid = 0, dTax = 0] = dRow
        setNextOrder(oid + 1, t.key)
        let sum = 0
        const text: string[] = []
        for (let l = 0; l < n; l++) {
          const [i = 0, supply = 0, qty = 0] = lines.slice(3 * l, 3 * l + 3)
          const id = stockKey(supply, i)
          const [have = 0, ytd = 0, orders = 0, remote = 0] = stock(id) as number[]
          setStock(have - qty >= 10 ? have - qty : have - qty + 91, ytd + qty, orders + 1, remote + (supply !== w ? 1 : 0), id)
          sum += (prices[l] as number) * qty
          text.push(`${i}x${qty}`)
        }
        const total = Math.trunc(Math.trunc(Math.trunc(sum * (10000 - (cRow[0] as number)) / 10000) * (10000 + (wRow[0] as number) + dTax)) / 10000)
        createOrder(t.key * 1_000_000 + oid, c, n, total, text.join(','))
        return 'committed'
      }
    },
  },
}
