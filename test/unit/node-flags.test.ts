// The Node flags of `acheron serve` are spelled in three places that cannot share code: SERVER_NODE_FLAGS
// (used by everything that spawns a server), the bin's shebang, and package.json's start/demo scripts.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.js'
import { ROOT } from '../console/support.js'

test('the bin runs node with SERVER_NODE_FLAGS', () => {
  for (const file of ['src/cli/main.ts', 'dist/src/cli/main.js']) {
    const shebang = readFileSync(`${ROOT}/${file}`, 'utf8').split('\n')[0]
    assert.is(shebang, `#!/usr/bin/env -S node ${SERVER_NODE_FLAGS.join(' ')}`, file)
  }
})

test('npm start and npm run demo run node with SERVER_NODE_FLAGS', () => {
  const scripts = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts
  for (const name of ['start', 'demo']) {
    const script = scripts[name]
    assert.ok(script?.includes(`node ${SERVER_NODE_FLAGS.join(' ')} dist/src/cli/main.js`), `${name}: ${script}`)
  }
})

test('this Node accepts every flag (an unknown one stops node before it runs anything)', () => {
  const out = execFileSync(process.execPath, [...SERVER_NODE_FLAGS, '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'], { encoding: 'utf8' })
  assert.equal((JSON.parse(out) as string[]).slice(0, SERVER_NODE_FLAGS.length), [...SERVER_NODE_FLAGS])
})

test.run()
