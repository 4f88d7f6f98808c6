// A benchmark WebSocket client for `acheron serve` (CONTRACT.md §4): many requests in flight on one
// connection, replies matched by id. A lost connection rejects every pending request (a benchmark must
// stop on it, not hang); a reply with ok: false resolves, so the caller can count it by error code.
import WebSocket from 'ws'

export interface Reply {
  id: number
  ok: boolean
  results?: { columns?: string[]; rows: unknown[][] }[]
  error?: { code: string; message: string }
}

export class WsClient {
  private readonly ws: WebSocket
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>()
  private closed: Error | null = null
  private readonly opened: Promise<void>

  constructor(url: string) {
    this.ws = new WebSocket(url)
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
    this.ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Reply
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      p?.resolve(m)
    })
    this.ws.on('error', (e) => this.fail(e))
    this.ws.on('close', (code) => this.fail(new Error(`connection closed (${code})`)))
  }

  ready(): Promise<void> {
    return this.opened
  }

  request(body: object): Promise<Reply> {
    if (this.closed !== null) return Promise.reject(this.closed)
    const id = ++this.nextId
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.ws.send(JSON.stringify({ id, ...body }))
    })
  }

  /** Like request, but a reply with ok: false is an error. */
  async must(body: object): Promise<Reply> {
    const r = await this.request(body)
    if (!r.ok) throw new Error(`${r.error?.code ?? '?'}: ${r.error?.message ?? JSON.stringify(r)}`)
    return r
  }

  close(): void {
    this.closed ??= new Error('closed by the client')
    this.ws.close()
  }

  private fail(e: Error): void {
    this.closed ??= e
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
  }
}
