// `acheron check --crash` starts `acheron serve` children. Stopped by a signal (a CI job's timeout, `kill`),
// it must take them with it: by default Node dies of SIGTERM without running its exit hooks, and they
// kept running (src/child-processes.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

test('acheron check stopped by SIGTERM exits 143; its acheron serve children do not outlive it, nor their data', async () => {
  // Its own TMPDIR: the scratch data directories of the crash scenarios are made there, and must go with it.
  const tmp = mkdtempSync(join(tmpdir(), 'acheron-check-signals-'))
  const check = spawn(process.execPath, [CLI, 'check', '--crash', '--property', 'crash', '--runs', '50', '--seed', '1', '--no-shrink'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp },
  })
  let stderr = ''
  check.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  check.stdout.resume()
  const exited = new Promise<number | null>((resolve) => check.once('exit', (code) => resolve(code)))
  try {
    const pid = check.pid as number
    const children = await until('an acheron serve child', () => { const c = serveChildren(pid); return c.length > 0 ? c : null }, 60_000)
    const scratch = readdirSync(tmp).filter((n) => n.startsWith('acheron-'))
    assert.ok(scratch.length > 0, 'the crash scenario made no scratch directory under TMPDIR')
    check.kill('SIGTERM')
    assert.is(await exited, 143, stderr)
    assert.match(stderr, /acheron check: stopped by SIGTERM \(seed 1\)/)
    await until(`serve children ${children.join(', ')} gone`, () => (children.some(running) ? null : true), 5_000)
    assert.equal(readdirSync(tmp).filter((n) => n.startsWith('acheron-')), [], `left in TMPDIR (had ${scratch.join(', ')})`)
  } finally {
    check.kill('SIGKILL')
    rmSync(tmp, { recursive: true, force: true })
  }
})

test('acheron check killed with SIGKILL (no exit hook runs): the orphan guard kills its children and removes their data', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'acheron-check-sigkill-'))
  const check = spawn(process.execPath, [CLI, 'check', '--crash', '--property', 'crash', '--runs', '50', '--seed', '2', '--no-shrink'], {
    stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, TMPDIR: tmp },
  })
  const exited = new Promise<void>((resolve) => check.once('exit', () => resolve()))
  try {
    const pid = check.pid as number
    const children = await until('an acheron serve child', () => { const c = serveChildren(pid); return c.length > 0 ? c : null }, 60_000)
    assert.ok(readdirSync(tmp).some((n) => n.startsWith('acheron-')), 'the crash scenario made no scratch directory under TMPDIR')
    check.kill('SIGKILL')
    await exited
    await until(`serve children ${children.join(', ')} gone`, () => (children.some(running) ? null : true), 10_000)
    // The guard retries a removal for up to 5.5 s while a process it just killed may still be writing.
    await until('the scratch directories gone', () => (readdirSync(tmp).some((n) => n.startsWith('acheron-')) ? null : true), 20_000)
      .catch((err: Error) => { throw new Error(`${err.message}; left: ${readdirSync(tmp).join(', ')}`) })
  } finally {
    check.kill('SIGKILL')
    rmSync(tmp, { recursive: true, force: true })
  }
})

test.run()
