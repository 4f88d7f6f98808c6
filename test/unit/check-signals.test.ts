// `acheron check --crash` starts `acheron serve` children. Stopped by a signal (a CI job's timeout, `kill`),
// it must take them with it: by default Node dies of SIGTERM without running its exit hooks, and they
// kept running (src/child-processes.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import { running } from '../support/process-state.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

/** The pids of the `acheron serve` processes whose parent is `parent`. */
function serveChildren(parent: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
  return table.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => Number(f[1]) === parent && f.includes('serve')).map((f) => Number(f[0]))
}

async function until<T>(what: string, f: () => T | null, ms: number): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = f()
    if (v !== null) return v
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('acheron check stopped by SIGTERM exits 143 and its acheron serve children do not outlive it', async () => {
  const check = spawn(process.execPath, [CLI, 'check', '--crash', '--property', 'crash', '--runs', '50', '--seed', '1', '--no-shrink'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  check.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  check.stdout.resume()
  const exited = new Promise<number | null>((resolve) => check.once('exit', (code) => resolve(code)))
  try {
    const pid = check.pid as number
    const children = await until('an acheron serve child', () => { const c = serveChildren(pid); return c.length > 0 ? c : null }, 60_000)
    check.kill('SIGTERM')
    assert.is(await exited, 143, stderr)
    assert.match(stderr, /acheron check: stopped by SIGTERM \(seed 1\)/)
    await until(`serve children ${children.join(', ')} gone`, () => (children.some(running) ? null : true), 5_000)
  } finally {
    check.kill('SIGKILL')
  }
})

test.run()
