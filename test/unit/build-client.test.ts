// scripts/build-client.js, the build of @acheron/client: it copies the module graph of client/index (.js
// and .d.ts) and nothing else, and refuses a graph that imports a package other than ws or node:*.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tempDir } from '../support/tmp.js'

const SCRIPT = new URL('../../../scripts/build-client.js', import.meta.url).pathname

function tree(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
}

function build(from: string, to: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, from, to], { encoding: 'utf8' })
  return { status: r.status, stderr: r.stderr }
}

test('copies what client/index reaches, following .js and .d.ts imports, and leaves the rest', () => {
  const { dir, cleanup } = tempDir()
  try {
    tree(join(dir, 'src'), {
      'client/index.js': "import WebSocket from 'ws'\nimport { readFileSync } from 'node:fs'\nexport { a } from './a.js'\n",
      'client/index.d.ts': "export { a } from './a.js'\nexport type { T } from '../types.js'\n",
      'client/a.js': "export {\n  b as a,\n} from '../shared/b.js'\n",
      'client/a.d.ts': 'export declare const a: number\n',
      'shared/b.js': "const s = 'text that says from \\'better-sqlite3\\' is not an import'\nexport const b = s.length\n",
      'types.d.ts': 'export type T = number\n',
      'engine.js': "import Database from 'better-sqlite3'\nexport default Database\n",
    })
    const out = join(dir, 'out')
    const r = build(join(dir, 'src'), out)
    assert.is(r.status, 0, r.stderr)
    for (const f of ['client/index.js', 'client/index.d.ts', 'client/a.js', 'client/a.d.ts', 'shared/b.js', 'types.d.ts']) {
      assert.ok(existsSync(join(out, f)), f)
    }
    assert.not.ok(existsSync(join(out, 'engine.js')))
  } finally {
    cleanup()
  }
})

test('a graph that reaches better-sqlite3 fails the build, naming the importing file', () => {
  const { dir, cleanup } = tempDir()
  try {
    tree(join(dir, 'src'), {
      'client/index.js': "export { open } from '../engine.js'\n",
      'client/index.d.ts': 'export {}\n',
      'engine.js': "import Database from 'better-sqlite3'\nexport const open = () => new Database(':memory:')\n",
    })
    const r = build(join(dir, 'src'), join(dir, 'out'))
    assert.is(r.status, 1)
    assert.match(r.stderr, "engine.js imports 'better-sqlite3': the light client may import only ws and node:*")
  } finally {
    cleanup()
  }
})

test.run()
