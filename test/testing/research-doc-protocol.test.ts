// docs/research.md's example protocol ("Calvin without that switch, in full") runs as written: as a
// module of its own that imports what it needs from `acheron/testing` by package name, loaded the way
// `acheron check --protocol FILE.js` loads it, and it passes the harness. The block named neither where
// `deterministicFallback` comes from nor `Protocol`: pasted into a file, every batch threw.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadProtocol } from '../../src/cli/protocol-loader.js'
import { runCheck } from '../../src/testing/check.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

function docExample(marker: string): string {
  const doc = readFileSync(join(ROOT, 'docs', 'research.md'), 'utf8')
  const at = doc.indexOf(marker)
  assert.ok(at >= 0, 'docs/research.md has its example protocol')
  const block = /```ts\n([\s\S]*?)```/.exec(doc.slice(at))
  return (block?.[1] ?? '') as string
}

async function runsAsWritten(marker: string, name: string): Promise<void> {
  const source = docExample(marker)
  assert.match(source, /from 'acheron\/testing'/)
  // The block is TypeScript whose only types are `Protocol` (TypeScript 7 has no JS API to strip them).
  const js = source
    .replace(/import \{([^}]*)\}/g, (_, names: string) => `import {${names.split(',').filter((n) => !/^\s*type\s/.test(n)).join(',')} }`)
    .replace(/: Protocol\b/g, '')
  assert.not.match(js, /Protocol\b(?! =)/, `types left in the example: ${js}`)
  // Inside the package (dist/), so that `acheron/testing` resolves to it as it would once installed.
  const file = join(ROOT, 'dist', `.research-example-${name}-${process.pid}.js`)
  try {
    writeFileSync(file, js)
    const protocol = await loadProtocol(file)
    assert.is(protocol.name, name)
    const lines: string[] = []
    const report = await runCheck({ seed: 1, runs: 3, txns: 30, workers: 0, crash: false, mutant: null, shrink: false, protocol, properties: ['replay', 'determinism'], out: (l) => lines.push(l) })
    assert.is(report.failed, 0, lines.join('\n'))
  } finally {
    rmSync(file, { force: true })
  }
}

test('the example protocol of docs/research.md imports what it uses and passes replay and determinism', async () => {
  await runsAsWritten('Calvin without that switch, in full:', 'calvin')
})

// The doc named deterministicFallback's arguments and Execution nowhere: an Aria-style variant written
// from it alone kept stale phase-1 executions (it never heard of `stale`) and failed replay.
test('the Aria-style example of docs/research.md, which keeps phase-1 executions, passes replay and determinism', async () => {
  await runsAsWritten('Aria without its switch, as a module of your own', 'aria-lite')
})

test.run()
