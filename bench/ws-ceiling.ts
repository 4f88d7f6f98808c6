// The WebSocket ceiling of this machine for ws-transfers.js's client loop: a server in its own process
// that answers every request at once (JSON in, a call's reply out), with no engine behind it. What
// Acheron does over WebSocket compares with this, not with an unbounded link.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import WebSocket, { WebSocketServer } from 'ws'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)

if (process.argv[2] === 'server') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  wss.on('listening', () => process.send?.((wss.address() as { port: number }).port))
  wss.on('connection', (ws) => ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { id: number }
    ws.send(JSON.stringify({ id: m.id, ok: true, value: 999, commit: { batch: 1, seq: 2 } }))
  }))
} else {
  const child = fork(fileURLToPath(import.meta.url), ['server'])
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)))
  console.log(`WebSocket echo (no engine), ${SECONDS}s per row`)
  console.log('| clients × in flight each | replies/s |')
  console.log('|---|---|')
  for (const [clients, depth] of [[32, 1], [64, 1], [64, 4]] as const) {
    const conns = await Promise.all(Array.from({ length: clients }, () => new Promise<WebSocket>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`)
      ws.once('open', () => resolve(ws))
    })))
    let done = 0
    const started = performance.now()
    const end = started + SECONDS * 1000
    await Promise.all(conns.map((ws) => new Promise<void>((resolve) => {
      // One handler per connection, `depth` requests in flight on it.
      let id = 0
      let open = depth
      const send = (): void => { ws.send(JSON.stringify({ id: ++id, op: 'call', fn: 'account.transfer', key: 5, args: [7, 1] })) }
      ws.on('message', () => {
        done++
        if (performance.now() < end) send()
        else if (--open === 0) resolve()
      })
      for (let i = 0; i < depth; i++) send()
    })))
    console.log(`| ${clients} × ${depth} | ${Math.round(done / ((performance.now() - started) / 1000)).toLocaleString('en-US')} |`)
    for (const ws of conns) ws.close()
  }
  child.kill()
}
