// Acheron under `acheron bench`: a real `acheron serve` (this package's own CLI, in a child process, on a
// temporary data directory, --sync full, --port 0) loaded with the workload's table and guest functions,
// driven over WebSocket by the closed-loop harness. Conflict aborts are the fallback's re-executions in
// the measured window (SHOW STATS): they are invisible to clients, which never retry.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { closedLoop, type Outcome } from './closed-loop.js'
import { guardAgainstOrphan } from '../orphan-guard.js'
import { processCpuSeconds } from './process-cpu.js'
import { laneStreams, scale, type BenchSettings, type SystemResult } from './settings.js'
import { WsClient } from './ws-client.js'
import { SERVER_NODE_FLAGS } from '../cli/node-flags.js'

const SERVER_START_TIMEOUT_MS = 60_000

interface Server {
  url: string
  child: ChildProcess
  logPath: string
  exitReason: () => string | null
  stop: () => Promise<void>
}

function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

async function startServer(dir: string, s: BenchSettings, cleanups: (() => void)[]): Promise<Server> {
  const logPath = join(dir, 'acheron-serve.log')
  const logFd = openSync(logPath, 'w')
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url))
  // BENCH_SERVER_FLAGS adds node flags to the server, as in bench/ws-transfers.ts (e.g. --cpu-prof
  // --cpu-prof-dir=DIR: a profile per thread, written when the bench stops the server with SIGTERM).
  const extra = (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter((f) => f !== '')
  const args = [...SERVER_NODE_FLAGS, ...extra, cli, 'serve', '--data', join(dir, 'data'), '--port', '0', '--sync', 'full',
    '--partitions', String(s.partitions), ...(s.workers !== undefined ? ['--workers', String(s.workers)] : []), ...(s.protocol !== 'default' ? ['--protocol', s.protocol] : [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', logFd] })
  closeSync(logFd)
  let exitReason: string | null = null
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exitReason = `acheron serve exited with code ${code}, signal ${signal}`
    resolve()
  }))
  const releaseGuard = child.pid !== undefined ? guardAgainstOrphan({ op: 'kill', pid: child.pid }) : () => {}
  void exited.then(releaseGuard)
  cleanups.push(() => { if (exitReason === null) child.kill('SIGKILL') })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`acheron serve was not ready within ${SERVER_START_TIMEOUT_MS} ms:\n${tail(logPath)}`)), SERVER_START_TIMEOUT_MS)
    let buffered = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buffered += d
      const m = /^acheron listening on (ws:\/\/\S+)$/m.exec(buffered)
      if (m !== null) { clearTimeout(timer); resolve(m[1] as string) }
    })
    void exited.then(() => { clearTimeout(timer); reject(new Error(`${exitReason} before it was ready:\n${tail(logPath)}`)) })
  })
  return {
    url, child, logPath,
    exitReason: () => exitReason,
    stop: async () => {
      if (exitReason !== null) return
      child.kill('SIGTERM')
      await exited
    },
  }
}

async function load(admin: WsClient, s: BenchSettings): Promise<void> {
  const a = s.workload.acheron
  const hex = readFileSync(new URL(`../../guest/${a.guest}.wasm`, import.meta.url)).toString('hex')
  await admin.must({ op: 'sql', sql: a.ddl(s.partitions, hex) })
  for (const sql of a.load(scale(s))) await admin.must({ op: 'sql', sql })
}

async function stats(admin: WsClient): Promise<Record<string, number>> {
  const r = await admin.must({ op: 'sql', sql: 'SHOW STATS' })
  return Object.fromEntries((r.results?.[0]?.rows ?? []) as [string, number][])
}

/** `onStart`: called as the clients start, after the set-up (for the progress line). */
export async function runAcheron(s: BenchSettings, cleanups: (() => void)[], onStart?: () => void): Promise<SystemResult> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-'))
  const releaseGuard = guardAgainstOrphan({ op: 'remove', path: dir })
  cleanups.push(() => { rmSync(dir, { recursive: true, force: true }); releaseGuard() })
  const server = await startServer(dir, s, cleanups)
  const admin = new WsClient(server.url)
  const conns = Array.from({ length: s.clients }, () => new WsClient(server.url))
  try {
    await admin.ready()
    await load(admin, s)
    await Promise.all(conns.map((c) => c.ready()))
    let before: Record<string, number> = {}
    let after: Record<string, number> = {}
    const streams = laneStreams(s)
    const measured = await closedLoop({
      lanes: s.clients * s.inflight,
      warmupMs: s.warmupS * 1000,
      durationMs: s.durationS * 1000,
      onStart,
      stream: streams,
      serverCpuSeconds: () => processCpuSeconds(server.child.pid ?? -1),
      atWindowStart: async () => { before = await stats(admin) },
      atWindowEnd: async () => { after = await stats(admin) },
      run: async (lane, txn): Promise<Outcome> => {
        const conn = conns[Math.floor(lane / s.inflight)] as WsClient
        const r = await conn.request({ op: 'call', ...s.workload.acheron.call(txn) })
        if (r.ok) return { kind: 'committed', conflicts: 0, retries: 0 }
        const code = r.error?.code ?? '?'
        return code === 'TXN_ABORTED' ? { kind: 'aborted', conflicts: 0, retries: 0 } : { kind: 'failed', conflicts: 0, retries: 0, code }
      },
    }).catch(async (e: unknown) => {
      await new Promise((resolve) => setTimeout(resolve, 500))
      throw new Error(`Acheron: ${(e as Error).message}; ${server.exitReason() ?? 'server still running'}\nlast lines of its log:\n${tail(server.logPath)}`)
    })
    const invariant: number[] = []
    for (const sql of s.workload.invariant?.queries ?? []) invariant.push(Number((await admin.must({ op: 'sql', sql })).results?.[0]?.rows[0]?.[0]))
    const delta = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0)
    measured.conflicts = delta('fallback_txns_total')
    const batches = delta('batches_total')
    return {
      system: 'acheron', load: `${s.clients} × ${s.inflight}`, measured, invariant,
      notes: [`${batches > 0 ? (delta('txns_total') / batches).toFixed(1) : '–'} txns per batch; conflict aborts are fallback re-executions inside the server, retried by it (clients never retry)`],
    }
  } finally {
    for (const c of conns) c.close()
    admin.close()
    await server.stop()
  }
}
