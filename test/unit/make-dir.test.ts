// Data directories are created parent by parent (src/storage/make-dir.ts): Node 20's recursive mkdirSync
// spins forever on a directory the kernel refuses under an existing parent (/proc/x), and open() with it.
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeDirectory } from '../../src/storage/make-dir.js'
import { tempDir } from '../support/tmp.js'

const EMBEDDED = fileURLToPath(new URL('../../src/embedded.js', import.meta.url))

test('missing parents are created; an existing directory is left as it is', () => {
  const { dir, cleanup } = tempDir()
  try {
    const deep = join(dir, 'a', 'b', 'c')
    makeDirectory(deep)
    assert.ok(statSync(deep).isDirectory())
    makeDirectory(deep)
    makeDirectory(dir)
    assert.ok(existsSync(join(dir, 'a', 'b')))
  } finally {
    cleanup()
  }
})

test('open() of a directory the kernel refuses fails with its error instead of spinning (run in a child, bounded)', () => {
  if (!existsSync('/proc/self')) return // only Linux has such a directory
  const script = `import(${JSON.stringify(EMBEDDED)}).then((m) => m.open({ dir: '/proc/acheron-no-such-dir/data' })).then(() => process.exit(3), (e) => { console.error(e.message); process.exit(1) })`
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 })
  assert.is(r.signal, null, 'the open returned')
  assert.is(r.status, 1, r.stderr)
  assert.match(r.stderr, /^cannot create the data directory \/proc\/acheron-no-such-dir\/data: ENOENT: no such file or directory, mkdir '\/proc\/acheron-no-such-dir'/)
})

test.run()
