// A throwaway PostgreSQL cluster for same-run comparisons: initdb into a temporary directory, postgres
// on a free loopback port with durable commits (fsync and synchronous_commit on), stopped and deleted by
// stop() — synchronously, so that an exit or signal handler can call it. PostgreSQL refuses to run as
// root; as root the server-side programs run as the `postgres` user (runuser), clients stay as they are.
import { spawnSync } from 'node:child_process'
import { chownSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { guardAgainstOrphan } from '../orphan-guard.js'
import { parentPid, processCpuSeconds } from './process-cpu.js'

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'
/** ≥ 100 (the brief), and room for 64 benchmark clients plus psql and the autovacuum workers. */
const MAX_CONNECTIONS = 128
const START_TIMEOUT_S = 60

export interface PgCluster {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly dataDir: string
  readonly version: string
  /** Runs SQL through psql (stops at the first error), returns its unaligned output. */
  psql(sql: string, env?: NodeJS.ProcessEnv): string
  /** Seconds of CPU used by the postmaster and every backend it started so far (exited ones included). */
  cpuSeconds(): number
  /** Stops the server (fast, then immediate, then SIGKILL) and deletes the cluster. Idempotent. */
  stop(): void
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      s.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function run(cmd: string, args: string[], asServer: boolean, env?: NodeJS.ProcessEnv): string {
  const root = process.getuid?.() === 0
  const [file, argv] = asServer && root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
  const r = spawnSync(file, argv, { encoding: 'utf8', env: env ?? process.env, maxBuffer: 64 << 20 })
  if (r.error !== undefined) throw r.error
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`)
  return r.stdout
}

function postgresUid(): { uid: number; gid: number } {
  const uid = Number(run('id', ['-u', 'postgres'], false).trim())
  const gid = Number(run('id', ['-g', 'postgres'], false).trim())
  return { uid, gid }
}

function postmasterPidOf(dataDir: string): number {
  const f = join(dataDir, 'postmaster.pid')
  return existsSync(f) ? Number(readFileSync(f, 'utf8').split('\n')[0]) : -1
}

/**
 * Stops the cluster in `dir` (made by startPgCluster: fast, then immediate, then SIGKILL) and deletes `dir`.
 * Synchronous, so that an exit handler or the orphan guard can call it.
 */
export function stopPgClusterSync(dir: string): void {
  const dataDir = join(dir, 'data')
  const pid = postmasterPidOf(dataDir)
  let stopped = false
  for (const mode of ['fast', 'immediate']) {
    try {
      run(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop'], true)
      stopped = true
      break
    } catch {
      // Not running, or did not stop in time: escalate.
    }
  }
  // Only a postmaster pg_ctl could not stop: once it is stopped, its pid may already be another process's
  // (a CI run's rustc, started right after a benchmark, died of a SIGKILL with exit null).
  if (pid > 0 && !stopped && isPostgres(pid)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true })
}

/** Whether process `pid` runs PostgreSQL now (a pid left in postmaster.pid after a crash may be another's since). */
function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres'
  } catch {
    return false
  }
}

/** `dir` is an empty directory of ours: the cluster lives in `dir/data`, its socket and log in `dir`. */
export async function startPgCluster(dir: string): Promise<PgCluster> {
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresUid()
    chownSync(dir, uid, gid)
  }
  const dataDir = join(dir, 'data')
  const port = await freePort()
  const user = 'postgres'
  run(join(PG_BIN, 'initdb'), ['-D', dataDir, '-U', user, '-A', 'trust', '-E', 'UTF8', '--no-instructions'], true)
  let stopped = false
  const postmasterPid = (): number => postmasterPidOf(dataDir)
  const releaseGuard = guardAgainstOrphan({ op: 'postgres', dir })
  const stop = (): void => {
    if (stopped) return
    stopped = true
    stopPgClusterSync(dir)
    releaseGuard()
  }
  try {
    const options = [
      `-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', `-c max_connections=${MAX_CONNECTIONS}`,
      '-c fsync=on', '-c synchronous_commit=on',
    ].join(' ')
    run(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-o', options, '-l', join(dir, 'postgres.log'), '-w', '-t', String(START_TIMEOUT_S), 'start'], true)
  } catch (e) {
    stop()
    throw e
  }
  const host = '127.0.0.1'
  const psql = (sql: string, env?: NodeJS.ProcessEnv): string =>
    run(join(PG_BIN, 'psql'), ['-h', host, '-p', String(port), '-U', user, '-d', 'postgres', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], false, env)
  const version = psql('SHOW server_version').trim()
  const cpuSeconds = (): number => {
    const pid = postmasterPid()
    if (pid < 0) return 0
    // Exited backends are in the postmaster's cutime/cstime once it has reaped them; live ones are counted
    // directly, so a backend alive at one reading and reaped by the next is counted exactly once per delta.
    let s = processCpuSeconds(pid, 'all')
    for (const p of readdirSync('/proc')) if (/^\d+$/.test(p) && parentPid(Number(p)) === pid) s += processCpuSeconds(Number(p))
    return s
  }
  return { host, port, user, dataDir, version, psql, cpuSeconds, stop }
}
