// scripts/run-tests.js, the runner behind `npm test`: a suite that leaves a process behind, or is killed
// at its timeout, must not leave it running (it would hold ports and cores under every later suite).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { running } from '../support/process-state.js'
import { tempDir } from '../support/tmp.js'

const runner = fileURLToPath(new URL('../../../scripts/run-tests.js', import.meta.url))

/** A suite file that starts `sleep 300` ignoring SIGTERM (the pid written to `pidFile`), then runs `then`. */
function suiteStartingSleep(pidFile: string, then: string): string {
  return `import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
const child = spawn('sh', ['-c', 'trap "" TERM; exec sleep 300'], { stdio: 'ignore' })
child.unref()
writeFileSync(${JSON.stringify(pidFile)}, String(child.pid))
${then}
`
}

/** The runner over one suite file `name` (body: suiteStartingSleep's `then`), and the pid of its sleep. */
function runOneSuite(name: string, then: string, timeoutMs: number): { out: string; status: number | null; pid: number } {
  const { dir, cleanup } = tempDir()
  try {
    const root = join(dir, 'suites')
    mkdirSync(root)
    const pidFile = join(dir, 'pid')
    writeFileSync(join(root, name), suiteStartingSleep(pidFile, then))
    const { out, status } = runRunner(root, timeoutMs)
    return { out, status, pid: Number(readFileSync(pidFile, 'utf8')) }
  } finally {
    cleanup()
  }
}

function runRunner(root: string, timeoutMs: number): { out: string; status: number | null } {
  const res = spawnSync(process.execPath, [runner], {
    encoding: 'utf8',
    env: { ...process.env, ACHERON_TEST_ROOT: root, ACHERON_SUITE_TIMEOUT_MS: String(timeoutMs) },
    timeout: 60_000,
  })
  return { out: res.stdout + res.stderr, status: res.status }
}

test('a process a passing suite left running is named and killed when the suite ends', () => {
  const { out, status, pid } = runOneSuite('leaks.test.js', "console.log('Total:     1\\nPassed:    1')", 60_000)
  assert.is(status, 0, out)
  assert.match(out, /leaks\.test\.js left 1 process\(es\) running, killed now:/)
  assert.match(out, new RegExp(`\\n  ${pid} sleep 300\\n`))
  assert.match(out, /1 passed, 0 failed\n$/)
  assert.not.ok(running(pid), `sleep ${pid} still runs`)
})

test('a suite killed at its timeout is a failure, and what it started dies with it', () => {
  // Ignores SIGTERM, as a suite stuck in a synchronous loop would not get to its own cleanup either.
  const { out, status, pid } = runOneSuite('hangs.test.js', "process.on('SIGTERM', () => {})\nsetInterval(() => {}, 1000)", 1500)
  assert.is(status, 1, out)
  assert.match(out, /FAIL hangs\.test\.js \(no summary, exit SIGKILL\)/)
  assert.match(out, /killed after/)
  assert.match(out, /0 passed, 1 failed\n$/)
  assert.not.ok(running(pid), `sleep ${pid} still runs`)
})

test.run()
