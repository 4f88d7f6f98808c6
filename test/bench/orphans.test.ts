// `acheron bench` killed with SIGKILL (its own cleanup cannot run) leaves nothing behind: the server it
// started, the PostgreSQL cluster of --peers and their temporary directories are undone by its orphan
// guard (src/orphan-guard.ts) once the bench's pipe to it closes.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MAIN } from '../console/support.js'
import { postgresTest } from '../support/postgres.js'

const WAIT_MS = 60_000
const POLL_MS = 100

async function until<T>(what: string, probe: () => T | null | undefined | false, log: () => string): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const v = probe()
    if (v !== null && v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms\n${log()}`)
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
}

/** The file's text, or null if it is gone. */
function readIfThere(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Live processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const out: number[] = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text)) out.push(Number(p))
    } catch {
      // Exited meanwhile.
    }
  }
  return out
}

/** A long bench in its own TMPDIR, so that what it leaves there is visible. */
function longBench(tmp: string, extra: string[]): { child: ChildProcess; log: () => string } {
  const args = [MAIN, 'bench', 'ycsbt', '--duration', '120', '--warmup', '0', '--clients', '2', '--keys', '1000', ...extra]
  const child = spawn(process.execPath, args, { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout?.on('data', (d: Buffer) => { text += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { text += d.toString() })
  return { child, log: () => text }
}

async function killedAndGone(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

test('a SIGKILLed bench leaves no acheron serve and no temporary directory', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'acheron-orphans-'))
  try {
    const { child, log } = longBench(tmp, [])
    // Running: the server has printed its ready line into its log in the bench's directory.
    const dir = await until('the bench\'s server running', () => readdirSync(tmp).find((d) => {
      const f = join(tmp, d, 'acheron-serve.log')
      return existsSync(f) && /listening/.test(readFileSync(f, 'utf8'))
    }), log)
    const servers = processesMentioning(join(tmp, dir))
    assert.ok(servers.length >= 1, 'the acheron serve child runs on the bench\'s directory')
    await killedAndGone(child)
    await until('the server killed', () => servers.every((p) => !alive(p)), log)
    await until('the temporary directory deleted', () => readdirSync(tmp).length === 0, () => readdirSync(tmp).join(', '))
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
})

postgresTest('a SIGKILLed bench --peers leaves no PostgreSQL running and deletes its cluster', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'acheron-orphans-'))
  try {
    // As root the cluster runs as the postgres user, who must be able to reach it: mkdtemp made tmp 0700.
    chmodSync(tmp, 0o755)
    const { child, log } = longBench(tmp, ['--peers', '--duration', '3'])
    // Acheron runs first, then PostgreSQL: wait for the postmaster of the cluster in the bench's TMPDIR.
    const pid = await until('the bench\'s PostgreSQL running', () => {
      for (const d of readdirSync(tmp)) {
        const f = join(tmp, d, 'data', 'postmaster.pid')
        // initdb's single-user runs write the negated pid (and remove the file again); the postmaster writes its own.
        const pid = Number(readIfThere(f)?.split('\n')[0] ?? 0)
        if (pid > 0 && alive(pid)) return pid
      }
      return null
    }, log)
    await killedAndGone(child)
    await until('the postmaster stopped', () => !alive(pid), log)
    await until('the temporary directories deleted', () => readdirSync(tmp).length === 0, () => readdirSync(tmp).join(', '))
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
})

test.run()
