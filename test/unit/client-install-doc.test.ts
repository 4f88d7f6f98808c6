// docs/client.md, "Installing only the client": the commands it gives must work for a user today.
// @acheron/client is not on the npm registry, so `npm install @acheron/client` answered 404; the section
// must install it from a tarball packed in the clone, the one test/client/light-package.test.ts installs
// and runs (`npm pack` of packages/client, named after its version).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const root = new URL('../../../', import.meta.url).pathname

function installBlock(): string[] {
  const doc = readFileSync(join(root, 'docs', 'client.md'), 'utf8')
  const section = doc.slice(doc.indexOf('## Installing only the client'))
  const block = /```sh\n([\s\S]*?)```/.exec(section)
  assert.ok(block, 'no sh block in "Installing only the client"')
  return (block[1] ?? '').split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l !== '')
}

test('the client is installed from a packed tarball, not from the registry', () => {
  const { version } = JSON.parse(readFileSync(join(root, 'packages', 'client', 'package.json'), 'utf8')) as { version: string }
  const lines = installBlock()
  assert.ok(lines.includes('npm pack -w packages/client'), lines.join('\n'))
  const installs = lines.filter((l) => l.startsWith('npm install'))
  assert.ok(installs.length > 0, lines.join('\n'))
  for (const l of installs) assert.match(l, new RegExp(`acheron-client-${version.replace(/\./g, '\\.')}\\.tgz$`))
})

test.run()
