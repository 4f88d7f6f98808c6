/**
 * The README's TypeScript examples run as written, importing `acheron` by its package name (a file inside
 * the package resolves it as an installed project would, through package.json "exports") and the example
 * module through `acheron/guest/bank.wasm`, from a directory that is not the clone.
 */
import { spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readmeExamples } from '../support/readme.js'
import { tempDir } from '../support/tmp.js'

const root = new URL('../../../', import.meta.url).pathname

test('the README has the two TypeScript examples, each importing acheron by name', () => {
  const examples = readmeExamples()
  assert.is(examples.length, 2)
  for (const e of examples) assert.match(e, /from 'acheron'/)
  for (const e of examples) assert.not.match(e, /dist\/guest/, 'no path inside the clone')
})

readmeExamples().forEach((source, i) => {
  test(`README TypeScript example ${i + 1} runs as written from another directory`, () => {
    const { dir, cleanup } = tempDir()
    // Inside the package (dist/), so that `acheron` resolves to this package as it would once installed.
    const file = join(root, 'dist', `.readme-example-${i + 1}-${process.pid}.mjs`)
    try {
      writeFileSync(file, source)
      const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
      assert.is(r.status, 0, `exit ${r.status}: ${r.stderr}`)
      assert.match(r.stdout, /^TXN_ABORTED insufficient funds/m, r.stdout)
    } finally {
      rmSync(file, { force: true })
      cleanup()
    }
  })
})

test.run()
