// End-to-end helpers for `acheron serve` (CONTRACT.md §1, §4): start the real CLI as a child process,
// wait for its one ready line, and talk to it over WebSocket with a small promise-based client.
//
// Every child and temporary directory made here is registered, and a process 'exit' hook kills the
// children (SIGKILL) and removes the directories, so a failing or crashing suite leaves nothing behind.
import { createServer } from 'node:net'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
/** How long `acheron serve` may take to print its ready line before the test fails. */
export const READY_TIMEOUT_MS = 20_000
/** How long a single request may wait for its reply before the test fails. */
export const REPLY_TIMEOUT_MS = 10_000
/** How long a signalled server may take to exit before it is killed and the test fails. */
export const EXIT_TIMEOUT_MS = 15_000
export const READY_LINE = /^acheron listening on (wss?):\/\/([^\s:]+|\[[0-9a-fA-F:.]+\]):(\d+)$/

const liveChildren = new Set<ChildProcess>()
const liveDirs = new Set<string>()
process.on('exit', () => {
  for (const c of liveChildren) {
    try { c.kill('SIGKILL') } catch { /* already gone */ }
  }
  for (const d of liveDirs) rmSync(d, { recursive: true, force: true })
})

/** A fresh temporary directory, removed by `cleanup` (or at process exit at the latest). */
export function tempDir(prefix = 'acheron-e2e-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  liveDirs.add(dir)
  return { dir, cleanup: () => { rmSync(dir, { recursive: true, force: true }); liveDirs.delete(dir) } }
}

export interface Exit { code: number | null; signal: NodeJS.Signals | null }

export interface ServerProcess {
  /** ws://HOST:PORT (wss:// with --tls-cert) as printed in the ready line. */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly readyLine: string
  readonly child: ChildProcess
  readonly dataDir: string
  /** Everything the child wrote so far. */
  stdout(): string
  stderr(): string
  /** Resolves when the child has exited. */
  readonly exited: Promise<Exit>
  /** Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILLs and rejects after EXIT_TIMEOUT_MS. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
  /** SIGKILL, no waiting for grace; resolves at exit. Safe to call on an exited child. */
  kill(): Promise<Exit>
}

export interface StartOptions {
  /** The --data directory; a fresh temporary one (removed at process exit) when absent. */
  dataDir?: string
  /** Extra CLI arguments after `serve --data D --host 127.0.0.1 --port 0`. */
  args?: string[]
  /** Extra environment variables. */
  env?: Record<string, string>
  readyTimeoutMs?: number
}

/** Starts `node dist/src/cli/main.js serve --data D --host 127.0.0.1 --port 0 ...args` and waits for its ready line. */
export function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? tempDir().dir
  const args = [MAIN, 'serve', '--data', dataDir, '--host', '127.0.0.1', '--port', '0', ...(options.args ?? [])]
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  liveChildren.add(child)
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8')
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (s: string) => { err += s })
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => { liveChildren.delete(child); resolve({ code, signal }) })
  })
  const describe = (): string => `\n  command: node ${args.join(' ')}\n  stdout: ${JSON.stringify(out)}\n  stderr: ${JSON.stringify(err.slice(-4000))}`

  return new Promise<ServerProcess>((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      child.kill('SIGKILL')
      reject(new Error(`acheron serve printed no ready line within ${options.readyTimeoutMs ?? READY_TIMEOUT_MS} ms${describe()}`))
    }, options.readyTimeoutMs ?? READY_TIMEOUT_MS)
    void exited.then((e) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(new Error(`acheron serve exited (code ${e.code}, signal ${e.signal}) before its ready line${describe()}`))
    })
    child.on('error', (e) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(e)
    })
    child.stdout!.on('data', (s: string) => {
      out += s
      if (settled) return
      const nl = out.indexOf('\n')
      if (nl < 0) return
      settled = true
      clearTimeout(timer)
      const line = out.slice(0, nl).replace(/\r$/, '')
      const m = READY_LINE.exec(line)
      if (!m) {
        child.kill('SIGKILL')
        reject(new Error(`the first stdout line is not 'acheron listening on ws[s]://HOST:PORT': ${JSON.stringify(line)}${describe()}`))
        return
      }
      const scheme = m[1] as string
      const host = m[2] as string
      const port = Number(m[3])
      const kill = (): Promise<Exit> => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        return exited
      }
      resolve({
        url: `${scheme}://${host}:${port}`, host, port, readyLine: line, child, dataDir,
        stdout: () => out,
        stderr: () => err,
        exited,
        kill,
        async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
          if (child.exitCode !== null || child.signalCode !== null) return exited
          child.kill(signal)
          let t: NodeJS.Timeout | undefined
          const timeout = new Promise<'timeout'>((r) => { t = setTimeout(() => r('timeout'), EXIT_TIMEOUT_MS) })
          const res = await Promise.race([exited, timeout])
          clearTimeout(t)
          if (res === 'timeout') {
            await kill()
            throw new Error(`acheron serve did not exit within ${EXIT_TIMEOUT_MS} ms of ${signal}${describe()}`)
          }
          return res
        },
      })
    })
  })
}

// ---------------------------------------------------------------------------------------------
// The client

export interface WireError {
  code: string
  message: string
  line?: number
  column?: number
  statement?: number
  commit?: { batch: number; seq: number }
}
export interface WireResult {
  columns: string[]
  rows: unknown[][]
  rowsAffected: number
  commit: { batch: number; seq: number }
}
export type Reply =
  | { id: number | null; ok: true; results: WireResult[] }
  /** `results`: a script's statements that completed before the failure (only when there are any). */
  | { id: number | null; ok: false; error: WireError; results?: WireResult[] }

/** Thrown by `request` when the connection closes before the reply arrives. */
export class ConnectionClosed extends Error {
  constructor(readonly code: number, readonly reason: string) {
    super(`connection closed (${code} ${reason}) before the reply`)
  }
}

export interface ConnectOptions {
  headers?: Record<string, string>
  /** The opening handshake's timeout (5 s by default). */
  timeoutMs?: number
  /** For wss://: the certificate authority to trust (a test's self-signed certificate). */
  ca?: string | Buffer
}

/**
 * A tiny promise-based client: `request` adds an auto id, sends one JSON text frame and resolves with
 * the reply of that id (failures included, not thrown). Every frame received is kept in `messages`;
 * replies whose id matches no pending request (id null, unsolicited) can be awaited with `waitFor`.
 */
export class WsClient {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>()
  private readonly waiters = new Set<{ test: (m: unknown) => boolean; resolve: (m: unknown) => void; reject: (e: Error) => void }>()
  readonly messages: unknown[] = []
  /** Frames that were not a reply to a pending request. */
  readonly unmatched: unknown[] = []
  closeInfo: { code: number; reason: string } | null = null
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') }
        for (const [, p] of this.pending) {
          clearTimeout(p.timer)
          p.reject(new ConnectionClosed(code, this.closeInfo.reason))
        }
        this.pending.clear()
        for (const w of this.waiters) w.reject(new ConnectionClosed(code, this.closeInfo.reason))
        this.waiters.clear()
        resolve(this.closeInfo)
      })
    })
    ws.on('error', () => { /* surfaced through 'close' and pending rejections */ })
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const text = isBinary ? `<binary ${String((data as Buffer).length)} bytes>` : data.toString()
      let msg: unknown
      try { msg = JSON.parse(text) } catch { msg = { unparsable: text } }
      this.messages.push(msg)
      const id = typeof msg === 'object' && msg !== null ? (msg as { id?: unknown }).id : undefined
      const p = typeof id === 'number' ? this.pending.get(id) : undefined
      if (p !== undefined) {
        this.pending.delete(id as number)
        clearTimeout(p.timer)
        p.resolve(msg as Reply)
      } else {
        this.unmatched.push(msg)
      }
      for (const w of [...this.waiters]) {
        if (w.test(msg)) { this.waiters.delete(w); w.resolve(msg) }
      }
    })
  }

  /** Opens a connection; rejects with the upgrade failure (e.g. "Unexpected server response: 401"). */
  static connect(url: string, options: ConnectOptions = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      // Our own handshake timer: ws's handshakeTimeout outlives a refused connection and holds the process.
      const ws = new WebSocket(url, { headers: options.headers ?? {}, ...(options.ca !== undefined ? { ca: options.ca } : {}) })
      const client = new WsClient(ws)
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no WebSocket handshake with ${url} within ${options.timeoutMs ?? 5000} ms`)) }, options.timeoutMs ?? 5000)
      const onErr = (e: Error): void => { clearTimeout(timer); reject(e) }
      ws.once('error', onErr)
      ws.once('open', () => { clearTimeout(timer); ws.off('error', onErr); resolve(client) })
    })
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  /** Sends `body` with the next id; resolves with the reply carrying that id. */
  request(body: Record<string, unknown>, timeoutMs = REPLY_TIMEOUT_MS): Promise<Reply> {
    const id = this.nextId++
    return this.requestWithId(id, body, timeoutMs)
  }

  /** Sends `body` with an explicit id. */
  requestWithId(id: number, body: Record<string, unknown>, timeoutMs = REPLY_TIMEOUT_MS): Promise<Reply> {
    if (this.pending.has(id)) throw new Error(`request id ${id} is already in flight`)
    // Auto ids continue past explicit ones, so they never collide.
    if (Number.isSafeInteger(id) && id >= this.nextId) this.nextId = id + 1
    return new Promise((resolve, reject) => {
      if (this.closeInfo !== null) { reject(new ConnectionClosed(this.closeInfo.code, this.closeInfo.reason)); return }
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`no reply to request ${id} (${JSON.stringify(body).slice(0, 200)}) within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      this.ws.send(JSON.stringify({ id, ...body }))
    })
  }

  sql(sql: string, params?: unknown[]): Promise<Reply> {
    return this.request(params === undefined ? { op: 'sql', sql } : { op: 'sql', sql, params })
  }

  call(fn: string, key: unknown, args: unknown[] = []): Promise<Reply> {
    return this.request({ op: 'call', fn, key, args })
  }

  /** Like `sql`, but fails with the whole reply unless it is ok; returns its results. */
  async ok(sql: string, params?: unknown[]): Promise<WireResult[]> {
    const r = await this.sql(sql, params)
    if (!r.ok) throw new Error(`expected ok for ${JSON.stringify(sql.slice(0, 200))}, got ${JSON.stringify(r)}`)
    return r.results
  }

  /** Sends a raw text (or binary) frame. */
  sendRaw(data: string | Buffer): void {
    this.ws.send(data)
  }

  /** Resolves with the first frame (already received or future) matching `test`; rejects after timeoutMs or at the close. */
  waitFor(test: (m: unknown) => boolean, timeoutMs = REPLY_TIMEOUT_MS, what = 'a matching frame'): Promise<unknown> {
    const seen = this.unmatched.find(test)
    if (seen !== undefined) { this.unmatched.splice(this.unmatched.indexOf(seen), 1); return Promise.resolve(seen) }
    if (this.closeInfo !== null) return Promise.reject(new ConnectionClosed(this.closeInfo.code, this.closeInfo.reason))
    return new Promise((resolve, reject) => {
      const w = {
        test,
        resolve: (m: unknown) => { clearTimeout(timer); const i = this.unmatched.indexOf(m); if (i >= 0) this.unmatched.splice(i, 1); resolve(m) },
        reject: (e: Error) => { clearTimeout(timer); reject(e) },
      }
      const timer = setTimeout(() => {
        this.waiters.delete(w)
        reject(new Error(`no ${what} within ${timeoutMs} ms; frames so far: ${JSON.stringify(this.messages).slice(0, 1000)}; close: ${JSON.stringify(this.closeInfo)}`))
      }, timeoutMs)
      this.waiters.add(w)
    })
  }

  /** Resolves with the close info, or null if still open after timeoutMs. */
  async closedWithin(timeoutMs: number): Promise<{ code: number; reason: string } | null> {
    let t: NodeJS.Timeout | undefined
    const r = await Promise.race([this.closed, new Promise<null>((res) => { t = setTimeout(() => res(null), timeoutMs) })])
    clearTimeout(t)
    return r
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.closeInfo === null) {
      if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate()
      else this.ws.close()
    }
    return this.closed
  }

  terminate(): void {
    this.ws.terminate()
  }
}

/** A port that was free a moment ago (for a server that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

/** The reply to one frame sent on a connection of its own to `url` (a raw request, past the SDK). */
export async function oneFrameReply(url: string, frame: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ws = new WebSocket(url)
  try {
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))))
    ws.send(JSON.stringify(frame))
    return JSON.parse(await reply) as Record<string, unknown>
  } finally {
    ws.close()
  }
}
