// The property tests' step-program interpreter, in WebAssembly: `run` has exactly the semantics of the
// JS test runtime's `run` (test/support/js-runtime.ts) over a table with columns `v` INTEGER and `log`
// TEXT, and returns the same text (JSON.stringify of the reads and call results), byte for byte.
// The one difference is fuel: here it is WebAssembly's, per instruction, so `spin` just loops.
//
// The program (argument 0) is a compact text encoding (written by src/testing/steps.ts),
// one step after another, with no separators:
//   r                    read         → pushes ["<v>","<log>"], or null when the row is absent
//   w<int>;              write v
//   i<int>;              incr v by int
//   a<len>:<item>        append item to log (comma-separated)
//   x<int>;              abortIf v > int  → TXN_ABORTED "v > <int> at <key>"
//   d                    delete the row
//   c<len>:<fn><int>;<len>:<program>   call fn at key int with the (encoded) program; pushes its result
//   s<int>;              spin: loop int times (no effect on state)
//   t                    time: pushes the batch time (txn_time_ms) as a decimal string, appends "@<ms>" to log
// <int> is an optional '-' and decimal digits; <len> is the length in UTF-16 code units (JS .length).
import { abort, argText, call, col, deleteRow, getAt, key, retText, rowExists, setAt, txnTimeMs, INTEGER, NULL, TEXT, Value } from "../acheron";

/** Where `spin` stores its result, so the optimizer cannot drop the loop. */
const spinSink = memory.data(8);

/** A growing UTF-16 buffer: one allocation per doubling (the stub runtime never frees). */
class Builder {
  buf: Uint16Array = new Uint16Array(64);
  len: i32 = 0;

  ch(c: i32): void {
    if (this.len == this.buf.length) {
      const next = new Uint16Array(this.buf.length << 1);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.len++] = <u16>c;
  }

  str(s: string): void {
    for (let i = 0; i < s.length; i++) this.ch(s.charCodeAt(i));
  }

  hex(c: i32, digits: i32): void {
    for (let d = digits - 1; d >= 0; d--) {
      const n = (c >> (d << 2)) & 15;
      this.ch(n < 10 ? 48 + n : 87 + n); // lowercase, as JSON.stringify
    }
  }

  /** `s` as a JSON string literal, escaped exactly as JSON.stringify does (well-formed, ES2019). */
  json(s: string): void {
    this.ch(34);
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c == 34) { this.ch(92); this.ch(34); }
      else if (c == 92) { this.ch(92); this.ch(92); }
      else if (c == 8) { this.ch(92); this.ch(98); }
      else if (c == 12) { this.ch(92); this.ch(102); }
      else if (c == 10) { this.ch(92); this.ch(110); }
      else if (c == 13) { this.ch(92); this.ch(114); }
      else if (c == 9) { this.ch(92); this.ch(116); }
      else if (c < 0x20) { this.ch(92); this.ch(117); this.hex(c, 4); }
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
        this.ch(c); this.ch(s.charCodeAt(++i)); // a surrogate pair stays as it is
      }
      else if (c >= 0xd800 && c <= 0xdfff) { this.ch(92); this.ch(117); this.hex(c, 4); } // a lone surrogate
      else this.ch(c);
    }
    this.ch(34);
  }

  /** A SQL value as JSON.stringify shows the JS runtime's value: TEXT as a string, NULL as null. */
  value(v: Value): void {
    if (v.type == TEXT) this.json(v.asText());
    else if (v.type == INTEGER) this.str(v.i.toString());
    else this.str("null");
  }

  toString(): string {
    return String.UTF16.decodeUnsafe(this.buf.dataStart, <usize>this.len << 1);
  }
}

/** Reads the encoded program. */
class Cursor {
  pos: i32 = 0;
  constructor(public src: string) {}

  done(): bool { return this.pos >= this.src.length; }

  next(): i32 {
    if (this.pos >= this.src.length) abort("malformed step program: truncated");
    return this.src.charCodeAt(this.pos++);
  }

  /** An optional '-' and digits up to `end` (consumed). */
  int(end: i32): i64 {
    let c = this.next();
    const neg = c == 45;
    if (neg) c = this.next();
    let n: i64 = 0;
    let digits = 0;
    while (c != end) {
      if (c < 48 || c > 57) abort("malformed step program: bad number");
      n = n * 10 + <i64>(c - 48);
      digits++;
      c = this.next();
    }
    if (digits == 0) abort("malformed step program: empty number");
    return neg ? -n : n;
  }

  /** `<len>:<chars>` */
  text(): string {
    const len = <i32>this.int(58);
    if (len < 0 || this.pos + len > this.src.length) abort("malformed step program: bad length");
    const s = this.src.substring(this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}

function intOf(v: Value): i64 {
  return v.type == INTEGER ? v.i : 0;
}

function keyString(): string {
  const k = key();
  if (k.type == INTEGER) return k.i.toString();
  if (k.type == TEXT) return k.asText();
  return "null";
}

/** CALL t.run(key, program) → the reads and call results as JSON text. */
export function run(): void {
  const p = new Cursor(argText(0));
  const vCol = col("v");
  const logCol = col("log");
  const out = new Builder();
  out.ch(91);
  let items = 0;
  while (!p.done()) {
    const op = p.next();
    if (op == 114) { // r: read
      if (items++ > 0) out.ch(44);
      if (rowExists()) {
        const v = getAt(vCol);
        out.ch(91);
        if (v.type == TEXT) out.json(v.asText()); // String(v) of a text; never for the INTEGER column v
        else out.json(v.type == NULL ? "null" : v.i.toString());
        out.ch(44);
        out.value(getAt(logCol));
        out.ch(93);
      } else {
        out.str("null");
      }
    } else if (op == 119) { // w: write
      setAt(vCol, Value.int(p.int(59)));
    } else if (op == 105) { // i: incr
      const by = p.int(59);
      setAt(vCol, Value.int(intOf(getAt(vCol)) + by));
    } else if (op == 97) { // a: append
      const item = p.text();
      const cur = getAt(logCol);
      const s = cur.type == TEXT ? cur.asText() : "";
      setAt(logCol, Value.text(s.length > 0 ? s + "," + item : item));
    } else if (op == 120) { // x: abortIf
      const gt = p.int(59);
      if (intOf(getAt(vCol)) > gt) abort("v > " + gt.toString() + " at " + keyString());
    } else if (op == 100) { // d: delete
      deleteRow();
    } else if (op == 99) { // c: call
      const fn = p.text();
      const k = p.int(59);
      const program = p.text();
      const r = call(fn, Value.int(k), [Value.text(program)]);
      if (items++ > 0) out.ch(44);
      out.value(r);
    } else if (op == 115) { // s: spin
      const units = p.int(59);
      let acc: i64 = units;
      for (let n: i64 = 0; n < units; n++) acc = acc * 6364136223846793005 + 1442695040888963407;
      store<i64>(spinSink, acc);
    } else if (op == 116) { // t: time
      const ms = txnTimeMs().toString();
      if (items++ > 0) out.ch(44);
      out.json(ms);
      const cur = getAt(logCol);
      const s = cur.type == TEXT ? cur.asText() : "";
      setAt(logCol, Value.text(s.length > 0 ? s + ",@" + ms : "@" + ms));
    } else {
      abort("malformed step program: unknown step " + String.fromCharCode(op));
    }
  }
  out.ch(93);
  retText(out.toString());
}
