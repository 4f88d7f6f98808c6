// Tests leave nothing in the temp directory: the suites that made directories with mkdtempSync and removed
// them only on success (or never) ran here with TMPDIR set to an empty directory, which must be empty after;
// and a test that fails before its cleanup leaves no tempDir behind (test/support/tmp.ts removes them at exit).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const DIST_TEST = fileURLToPath(new URL('..', import.meta.url))
const SUITES = ['unit/copy-parse.test.js', 'console/copy-fields.test.js', 'console/repl-held-block.test.js']
const RUN_TIMEOUT_MS = 60_000

/** Runs `args` with node, TMPDIR an empty directory; returns the run and what it left there. */
function runWithOwnTmp(args: string[]): { status: number | null; output: string; left: string[] } {
  const own = mkdtempSync(join(tmpdir(), 'acheron-temp-dirs-'))
  try {
    const r = spawnSync(process.execPath, args, { env: { ...process.env, TMPDIR: own, NO_COLOR: '1' }, encoding: 'utf8', timeout: RUN_TIMEOUT_MS })
    return { status: r.status, output: `${r.stdout}${r.stderr}`, left: readdirSync(own) }
  } finally {
    rmSync(own, { recursive: true, force: true })
  }
}

for (const suite of SUITES) {
  test(`${suite} removes the directories it makes`, () => {
    const r = runWithOwnTmp([join(DIST_TEST, suite)])
    assert.is(r.status, 0, r.output)
    assert.equal(r.left, [], `left in TMPDIR: ${r.left.join(', ')}`)
  })
}

test("a test that fails before its cleanup leaves no tempDir behind (support/tmp.ts's exit hook)", () => {
  const tmpModule = join(DIST_TEST, 'support', 'tmp.js')
  const script = `import { tempDir } from ${JSON.stringify(tmpModule)}; tempDir(); tempDir('acheron-other-'); throw new Error('a failed assertion')`
  const r = runWithOwnTmp(['--input-type=module', '-e', script])
  assert.is(r.status, 1, r.output)
  assert.match(r.output, /a failed assertion/)
  assert.equal(r.left, [], `left in TMPDIR: ${r.left.join(', ')}`)
})

test.run()
