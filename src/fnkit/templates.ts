// The files `acheron fn init` writes: an AssemblyScript function project that builds with the kit's
// own compiler flags and tests its functions on an embedded engine. Plain strings, so a reader sees
// exactly what a new project gets.

export interface ProjectSpec {
  /** The npm package name (also the directory's name). */
  readonly name: string
  /** What package.json asks for as `acheron` (a semver range, `file:…`, a tarball). */
  readonly acheronSpec: string
  /** The `assemblyscript` dev dependency: the version this acheron builds its own guests with. */
  readonly assemblyscriptSpec: string
}

/** The example function module: `functions/counter.ts` → `build/counter.wasm`. */
export const EXAMPLE_MODULE = 'counter'

export function projectFiles(p: ProjectSpec): ReadonlyMap<string, string> {
  return new Map([
    ['package.json', packageJson(p)],
    ['functions/counter.ts', COUNTER_TS],
    ['functions/tsconfig.json', FUNCTIONS_TSCONFIG],
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
    devDependencies: { assemblyscript: p.assemblyscriptSpec },
  }, null, 2) + '\n'
}

const COUNTER_TS = `// Functions of table counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0).
// Each export of signature () -> () is a function: register them all with
//   CREATE FUNCTIONS counter.* FROM WASM FILE 'build/counter.wasm';
// and call one with  CALL counter.add('visits', 5);
import { abort, argCount, argInt, getInt, log, retInt, setInt } from "acheron/guest/acheron";

/** CALL counter.get(id) → n (0 for a counter never added to). */
export function get(): void {
  retInt(getInt("n"));
}

/** CALL counter.add(id [, amount]) → the new n. A negative amount aborts the transaction. */
export function add(): void {
  const amount: i64 = argCount() > 0 ? argInt(0) : 1;
  if (amount < 0) abort("amount must not be negative");
  const next = getInt("n") + amount;
  setInt("n", next);
  log("added " + amount.toString() + ", now " + next.toString());
  retInt(next);
}
`

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
    CREATE FUNCTIONS counter.* FROM WASM FILE '\${COUNTER_WASM}';
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

function readme(p: ProjectSpec): string {
  return `# ${p.name}

Acheron functions in AssemblyScript.

    npm install
    npx acheron fn build     # functions/*.ts → build/*.wasm
    npx acheron fn test      # builds, then runs test/*.test.mjs on an embedded engine

Register a module's functions on a server (the console reads the file on your machine):

    npx acheron console -e "CREATE TABLE counter (id TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0);" \\
                        -e "CREATE FUNCTIONS counter.* FROM WASM FILE 'build/counter.wasm';" \\
                        -e "CALL counter.add('visits', 5) WITH LOGS;"

\`acheron fn build\` runs the AssemblyScript compiler installed in node_modules (not \`npx asc\`, which
names another package) with the flags Acheron's functions need: \`--runtime stub -O3 --maximumMemory 16\`.
The guest library is \`acheron/guest/acheron\`; docs/functions.md of the acheron package describes it.
`
}
