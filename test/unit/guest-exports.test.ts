/**
 * Every guest file docs/functions.md gives as `acheron/guest/…` resolves through package.json "exports" to
 * a file the package has, as it would in a project that installed acheron (a file inside the package
 * resolves `acheron` by name to the package itself). The hand-written WAT module guest/wat/counter.wat,
 * which docs/functions.md tells users to compile, was shipped but not exported, unlike the AssemblyScript,
 * Rust and C sources beside it: `acheron/guest/wat/counter.wat` failed with ERR_PACKAGE_PATH_NOT_EXPORTED.
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const root = new URL('../../../', import.meta.url)
const functionsDoc = readFileSync(new URL('docs/functions.md', root), 'utf8')

/** The `acheron/guest/…` specifiers the doc names with a file name (not `NAME` placeholders or `…`). */
function documented(): string[] {
  const found = new Set<string>()
  for (const m of functionsDoc.matchAll(/acheron\/guest\/[A-Za-z0-9_./-]+\.[a-z]+/g)) {
    if (!m[0].includes('NAME')) found.add(m[0])
  }
  return [...found].sort()
}

test('docs/functions.md names the guest sources of every language, the WAT one included', () => {
  const names = documented()
  for (const s of ['acheron/guest/acheron.ts', 'acheron/guest/bank.wasm', 'acheron/guest/counter.wasm', 'acheron/guest/wat/counter.wat']) {
    assert.ok(names.includes(s), `${s} is in docs/functions.md: ${names.join(', ')}`)
  }
})

test('every acheron/guest/… path docs/functions.md names resolves through "exports" to a file of the package', () => {
  for (const specifier of [...documented(), 'acheron/guest/rust/Cargo.toml', 'acheron/guest/c/acheron.h', 'acheron/guest/examples/bank.ts']) {
    let url: string
    try {
      url = import.meta.resolve(specifier)
    } catch (e) {
      assert.unreachable(`${specifier}: ${(e as Error).message}`)
      return
    }
    const path = fileURLToPath(url)
    assert.ok(path.startsWith(fileURLToPath(root)), `${specifier} → ${path}, inside the package`)
    assert.ok(existsSync(path), `${specifier} → ${path} exists`)
  }
})

test('the exported WAT source is the module acheron/guest/counter.wasm is built from', () => {
  const wat = readFileSync(fileURLToPath(import.meta.resolve('acheron/guest/wat/counter.wat')), 'utf8')
  assert.match(wat, /\(func \(export "bump"\)/)
  assert.ok(existsSync(fileURLToPath(import.meta.resolve('acheron/guest/counter.wasm'))))
})

test.run()
