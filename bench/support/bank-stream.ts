// A writer and its followers on one NATS server (`acheron serve --log-nats` children), the bank's
// accounts loaded through the writer: the set-up of the benchmarks of clients and followers.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startLocalNats } from '../../src/cluster/local-nats.js'
import { startServeChild, type ServeChild } from '../../src/cli/serve-child.js'
import { connect } from '../../src/index.js'

const wasm = readFileSync(new URL('../../guest/bank.wasm', import.meta.url)).toString('hex')

export interface BankStream {
  /** The writer first, then the followers. */
  readonly nodes: readonly ServeChild[]
  /** The nodes' processes, then the NATS server's (for CPU time). */
  readonly pids: readonly number[]
  stop(): Promise<void>
}

/**
 * A writer and `followers` followers, each started with `args`, `keys` accounts of 10^9 with the bank's
 * transfer and deposit; waits 3 s for the followers to catch up and be heard.
 */
export async function startBankStream(args: readonly string[], keys: number, followers = 2): Promise<BankStream> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-stream-'))
  const nats = await startLocalNats(join(dir, 'nats'), 1)
  const nodes: ServeChild[] = []
  const stop = async (): Promise<void> => {
    for (const node of [...nodes].reverse()) {
      await new Promise<void>((resolve) => {
        if (node.child.exitCode !== null) return resolve()
        node.child.once('exit', () => resolve())
        node.child.kill('SIGTERM')
      })
    }
    await nats.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const common = ['--port', '0', '--log-nats', nats.urls.join(','), '--partitions', '8', ...args]
    nodes.push(await startServeChild([...common, '--data', join(dir, 'w')], { timeoutMs: 30_000, stderr: 'capture' }))
    const admin = await connect(nodes[0]?.url as string)
    await admin.sql(`CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
      CREATE FUNCTION account.transfer FROM WASM X'${wasm}'; CREATE FUNCTION account.deposit FROM WASM X'${wasm}';`)
    for (let i = 0; i < keys; i += 5000) {
      await admin.sql(`INSERT INTO account VALUES ${Array.from({ length: Math.min(5000, keys - i) }, (_, j) => `(${i + j}, 1000000000)`).join(', ')}`)
    }
    await admin.close()
    for (let f = 1; f <= followers; f++) nodes.push(await startServeChild([...common, '--follow', '--data', join(dir, `f${f}`)], { timeoutMs: 30_000, stderr: 'capture' }))
    await new Promise((r) => setTimeout(r, 3000))
  } catch (err) {
    await stop()
    throw err
  }
  return { nodes, pids: [...nodes.map((n) => n.child.pid ?? -1), ...nats.nodes.map((s) => s.process.pid ?? -1)], stop }
}
