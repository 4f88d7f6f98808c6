/**
 * The Node flags every `acheron serve` process runs with. The bin's shebang (src/cli/main.ts) and the
 * `start`/`demo` scripts of package.json cannot import this and spell the same flags out; a unit test
 * (test/unit/node-flags.test.ts) keeps them equal. Measured in docs/benchmarks.md:
 * - a larger young generation (64 MiB semi-spaces): the coordinator allocates short-lived objects per
 *   transaction, and with V8's default a quarter of the engine's CPU went to garbage collection;
 * - two V8 helper threads instead of Node's default four: the helpers (parallel and concurrent GC,
 *   background compilation) ran beside the executing thread and the state thread, and on a 2-core
 *   machine four of them took the cores those two needed (embedded transfers +15–30%).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--v8-pool-size=2']
