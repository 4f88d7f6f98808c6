// The files `acheron fn init` writes: a function project in AssemblyScript, Rust or C that builds with
// the kit's own compiler flags and tests its functions on an embedded engine. The example module is the
// same counter in each language (same functions, results, abort message and log line), so one test file
// serves all three. Plain strings, so a reader sees exactly what a new project gets.
import type { Language } from './project.js'

export interface ProjectSpec {
  /** The npm package name (also the directory's name). */
  readonly name: string
  /** What package.json asks for as `acheron` (a semver range, `file:…`, a tarball). */
  readonly acheronSpec: string
  /** The `assemblyscript` dev dependency: the version this acheron builds its own guests with. */
  readonly assemblyscriptSpec: string
  readonly language: Language
}

/** The example function module: `functions/counter.ts` → `build/counter.wasm`. */
export const EXAMPLE_MODULE = 'counter'

export function projectFiles(p: ProjectSpec): ReadonlyMap<string, string> {
  const sources: Record<Language, ReadonlyArray<readonly [string, string]>> = {
    assemblyscript: [['functions/counter.ts', COUNTER_TS], ['functions/tsconfig.json', FUNCTIONS_TSCONFIG]],
    rust: [['functions/counter.rs', COUNTER_RS]],
    c: [['functions/counter.c', COUNTER_C], ['functions/compile_flags.txt', C_COMPILE_FLAGS]],
  }
  return new Map([
    ['package.json', packageJson(p)],
    ...sources[p.language],
    ['test/counter.test.mjs', COUNTER_TEST],
    ['.gitignore', 'node_modules/\nbuild/\n'],
    ['README.md', readme(p)],
  ])
}

function packageJson(p: ProjectSpec): string {
  return JSON.stringify({
    name: p.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: { build: 'acheron fn build', test: 'acheron fn test' },
    dependencies: { acheron: p.acheronSpec },
    // Rust and C need no npm compiler: the kit runs Debian's rustc or clang (docs/functions.md).
    ...(p.language === 'assemblyscript' ? { devDependencies: { assemblyscript: p.assemblyscriptSpec } } : {}),
  }, null, 2) + '\n'
}

const COUNTER_TS = `// Functions of table counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0).
// Each export of signature () -> () is a function: register them all with
//   CREATE FUNCTIONS counter.* FROM WASM FILE 'build/counter.wasm';
// and call one with  CALL counter.add('visits', 5);
import { abort, arg, argCount, argInt, getInt, INTEGER, log, retInt, setInt } from "acheron/guest/acheron";

/** CALL counter.get(id) → n (0 for a counter never added to). */
export function get(): void {
  retInt(getInt("n"));
}

/** CALL counter.add(id [, amount]) → the new n. An amount that is not an INTEGER, a negative one, or one past the largest INTEGER, aborts. */
export function add(): void {
  // argInt alone would read 1.5 as 1 and 'five' as 0 (docs/functions.md): another type aborts.
  if (argCount() > 0 && arg(0).type != INTEGER) abort("amount must be an INTEGER");
  const amount: i64 = argCount() > 0 ? argInt(0) : 1;
  if (amount < 0) abort("amount must not be negative");
  const n = getInt("n");
  if (n > i64.MAX_VALUE - amount) abort("n would overflow"); // i64 arithmetic wraps around silently
  const next = n + amount;
  setInt("n", next);
  log("added " + amount.toString() + ", now " + next.toString());
  retInt(next);
}
`

const COUNTER_RS = `// Functions of table counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0).
// export! makes each fn an export of signature () -> (): register them all with
//   CREATE FUNCTIONS counter.* FROM WASM FILE 'build/counter.wasm';
// and call one with  CALL counter.add('visits', 5);
// The guest library is the crate acheron (node_modules/acheron/guest/rust; docs/functions.md, "Rust library").
use acheron::{arg, arg_count, export, get_int, log, set_int, Value};

export! {
    /// CALL counter.get(id) → n (0 for a counter never added to).
    fn get() -> i64 {
        get_int("n")
    }

    /// CALL counter.add(id [, amount]) → the new n. An amount that is not an INTEGER, a negative one, or one past the largest INTEGER, aborts.
    fn add() -> Result<i64, &'static str> {
        // arg_int alone would read 1.5 as 1 and 'five' as 0 (docs/functions.md): another type aborts.
        let amount = if arg_count() == 0 { 1 } else if let Value::Int(a) = arg(0) { a } else {
            return Err("amount must be an INTEGER");
        };
        if amount < 0 {
            return Err("amount must not be negative"); // TXN_ABORTED: the whole transaction rolls back
        }
        let next = get_int("n").checked_add(amount).ok_or("n would overflow")?;
        set_int("n", next);
        log(&format!("added {}, now {}", amount, next));
        Ok(next)
    }
}
`

const COUNTER_C = `/*
 * Functions of table counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0).
 * Each ACHERON_EXPORT is an export of signature () -> (): register them all with
 *   CREATE FUNCTIONS counter.* FROM WASM FILE 'build/counter.wasm';
 * and call one with  CALL counter.add('visits', 5);
 * acheron.h is node_modules/acheron/guest/c/acheron.h (docs/functions.md, "C header"). There is no libc:
 * the header has what a function needs.
 */
#include "acheron.h"

/* Writes s at p; returns the end (NUL-terminated). */
static char *put_text(char *p, const char *s) {
  while (*s != 0) *p++ = *s++;
  *p = 0;
  return p;
}

/* Writes v in decimal at p (at most 20 characters); returns the end (NUL-terminated). */
static char *put_int(char *p, int64_t v) {
  char digits[20];
  int n = 0;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    digits[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) *p++ = '-';
  while (n > 0) *p++ = digits[--n];
  *p = 0;
  return p;
}

/* CALL counter.get(id) → n (0 for a counter never added to). */
ACHERON_EXPORT(get) {
  acheron_ret_int(acheron_get_int("n"));
}

/* CALL counter.add(id [, amount]) → the new n. An amount that is not an INTEGER, a negative one, or one past the largest INTEGER, aborts. */
ACHERON_EXPORT(add) {
  /* acheron_arg_int alone would read 1.5 as 1 and 'five' as 0 (docs/functions.md): another type aborts. */
  if (acheron_arg_count() > 0 && acheron_abi_arg_type(0) != ACHERON_INTEGER) acheron_abort("amount must be an INTEGER");
  int64_t amount = acheron_arg_count() > 0 ? acheron_arg_int(0) : 1;
  if (amount < 0) acheron_abort("amount must not be negative"); /* TXN_ABORTED; does not return */
  int64_t n = acheron_get_int("n");
  if (n > INT64_MAX - amount) acheron_abort("n would overflow"); /* signed overflow is undefined in C */
  int64_t next = n + amount;
  acheron_set_int("n", next);
  char line[64];
  put_int(put_text(put_int(put_text(line, "added "), amount), ", now "), next);
  acheron_log(line);
  acheron_ret_int(next);
}
`

/** clangd reads this beside the sources: the target and where acheron.h is, as \`acheron fn build\` passes them. */
const C_COMPILE_FLAGS = '--target=wasm32\n-nostdlib\n-I../node_modules/acheron/guest/c\n'

/** Editors type-check functions/ as AssemblyScript (i64, @external, …), not as TypeScript. */
const FUNCTIONS_TSCONFIG = JSON.stringify({ extends: 'assemblyscript/std/assembly.json', include: ['./**/*.ts'] }, null, 2) + '\n'

const COUNTER_TEST = `// Runs the counter functions on an embedded Acheron (in memory, nothing on disk): \`acheron fn test\`
// builds functions/ first, then runs every test/*.test.mjs with node's test runner.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { open } from 'acheron'

const COUNTER_WASM = fileURLToPath(new URL('../build/counter.wasm', import.meta.url))

async function database() {
  const db = await open({ memory: true })
  await db.sql(\`
    CREATE TABLE counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);
    CREATE FUNCTIONS counter.* FROM WASM FILE '\${COUNTER_WASM.replaceAll("'", "''")}';
  \`)
  return db
}

test('add and get', async () => {
  const db = await database()
  try {
    assert.equal((await db.call('counter.add', 'visits', 5)).value, 5)
    assert.equal((await db.call('counter.add', 'visits')).value, 6)
    assert.equal((await db.call('counter.get', 'visits')).value, 6)
    assert.equal((await db.call('counter.get', 'nobody')).value, 0)
  } finally {
    await db.close()
  }
})

test('a negative amount aborts and changes nothing', async () => {
  const db = await database()
  try {
    await db.call('counter.add', 'visits', 2)
    await assert.rejects(db.call('counter.add', 'visits', -1), { code: 'TXN_ABORTED', message: /must not be negative/ })
    assert.equal((await db.call('counter.get', 'visits')).value, 2)
  } finally {
    await db.close()
  }
})

test('an amount that is not an INTEGER aborts and changes nothing', async () => {
  const db = await database()
  try {
    await db.call('counter.add', 'visits', 2)
    for (const amount of ['five', 1.5, null]) {
      await assert.rejects(db.call('counter.add', 'visits', amount), { code: 'TXN_ABORTED', message: /amount must be an INTEGER/ })
    }
    assert.equal((await db.call('counter.get', 'visits')).value, 2)
  } finally {
    await db.close()
  }
})

test('an add past the largest INTEGER aborts and changes nothing', async () => {
  const db = await database()
  try {
    await db.sql("INSERT INTO counter VALUES ('big', 9223372036854775806)")
    assert.equal((await db.call('counter.add', 'big')).value, 9223372036854775807n)
    await assert.rejects(db.call('counter.add', 'big', 1), { code: 'TXN_ABORTED', message: /n would overflow/ })
    assert.equal((await db.call('counter.get', 'big')).value, 9223372036854775807n)
  } finally {
    await db.close()
  }
})

test('log() lines come back WITH LOGS', async () => {
  const db = await database()
  try {
    const [r] = await db.sql("CALL counter.add('visits', 3) WITH LOGS")
    assert.deepEqual(r.rows, [[3]])
    assert.deepEqual(r.logs, ['added 3, now 3'])
  } finally {
    await db.close()
  }
})
`

/** What the README says of each language: its name, extension, and how `acheron fn build` compiles it. */
const LANGUAGE_NOTES: Readonly<Record<Language, { title: string; ext: string; build: string }>> = {
  assemblyscript: {
    title: 'AssemblyScript', ext: 'ts',
    build: `\`acheron fn build\` runs the AssemblyScript compiler installed in node_modules (not \`npx asc\`, which
names another package) with the flags Acheron's functions need: \`--runtime stub -O3 --maximumMemory 16\`.
The guest library is \`acheron/guest/acheron\`; docs/functions.md of the acheron package describes it.`,
  },
  rust: {
    title: 'Rust', ext: 'rs',
    build: `\`acheron fn build\` compiles each functions/NAME.rs as a crate of its own (a \`cdylib\` for
wasm32-unknown-unknown) against the guest crate \`acheron\` (node_modules/acheron/guest/rust), with
Debian's \`/usr/bin/rustc\` (\`apt-get install rustc libstd-rust-dev-wasm32\`; ACHERON_RUSTC names
another) and a declared memory maximum of 1 MiB. Code shared by several modules goes in a subdirectory
(\`#[path = "common/util.rs"] mod util;\`); docs/functions.md of the acheron package describes the crate.`,
  },
  c: {
    title: 'C', ext: 'c',
    build: `\`acheron fn build\` compiles each functions/NAME.c with \`/usr/bin/clang --target=wasm32 -nostdlib\`
and wasm-ld (\`apt-get install clang lld\`; ACHERON_CLANG names another clang), \`acheron.h\` from
node_modules/acheron/guest/c on the include path and a declared memory maximum of 1 MiB. Headers shared
by several modules go in a subdirectory; docs/functions.md of the acheron package describes acheron.h.`,
  },
}

function readme(p: ProjectSpec): string {
  const lang = LANGUAGE_NOTES[p.language]
  return `# ${p.name}

Acheron functions in ${lang.title}.

    npm install
    npx acheron fn build     # functions/*.${lang.ext} → build/*.wasm
    npx acheron fn test      # builds, then runs test/*.test.mjs on an embedded engine

Register a module's functions on a server (the console reads the file on your machine):

    npx acheron console -e "CREATE TABLE counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);" \\
                        -e "CREATE FUNCTIONS counter.* FROM WASM FILE 'build/counter.wasm';" \\
                        -e "CALL counter.add('visits', 5) WITH LOGS;"

${lang.build}
`
}
