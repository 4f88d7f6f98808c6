#!/usr/bin/env -S node --max-semi-space-size=64
// The `acheron` command (CONTRACT.md §1). The young generation is raised (64 MiB semi-spaces): the
// coordinator allocates short-lived objects per transaction, and with V8's default a quarter of the
// engine's CPU went to garbage collection (docs/benchmarks.md).
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { parseCrashAt } from '../crash-points.js'
import { DEFAULT_DATA_DIR, open, type OpenOptions } from '../embedded.js'
import { createLogger } from '../server/logger.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../server/server.js'
import { runDemo } from './demo.js'
import { CONSOLE_COMMAND_USAGE, runConsole } from '../console/main.js'

const USAGE = `usage: acheron <command> [options]

commands:
  serve [--data DIR] [--host H] [--port P] [--partitions N] [--workers N] [--token T | --token-file F] [--sync full|normal|off]
        [--checkpoint-interval-ms N] [--log-segment-bytes N] [--log-segments-kept N]
      serves the WebSocket protocol and the browser console (default ws://127.0.0.1:7878 and http://127.0.0.1:7878/, data in ./acheron-data)
  demo [--data DIR] [--workers N] [--protocol aria|calvin|serial] [--transfers N] [--sync full|normal|off]
      runs the bank example end to end in SQL on the embedded engine
${CONSOLE_COMMAND_USAGE}
  check [--seed S] [--runs N] [--txns N] [--partitions N] [--workers N] [--crash] [--mutant NAME] [--list-mutants]
        [--property replay|determinism|elle|crash]... [--path P] [--no-shrink] [--protocol NAME|FILE.js]
      the property-test harness (docs/research.md): random workloads checked by declared-order replay,
      determinism across workers and protocols, an Elle-style anomaly checker over WebSocket and (--crash)
      kill -9 recovery; prints "N passed, N failed", and on a failure the seed, a shrunk counterexample and
      the command that replays it

  verify --data DIR
      checks a stopped data directory (SQLite integrity, every row against its table, module hashes, the
      batch log's frames from the checkpoint on); exits 0 when sound, 1 naming each problem

Not in this version yet: bench (see README.md).`

function syncMode(v: string | undefined): 'full' | 'normal' | 'off' {
  if (v === 'full' || v === 'normal' || v === 'off') return v
  throw new Error(`--sync must be full, normal or off, not ${v}`)
}

function positiveInt(name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, not ${v}`)
  return n
}

/** `acheron serve`: prints exactly one ready line; SIGINT/SIGTERM finish the batch in flight and exit 0. */
async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '7878' },
      partitions: { type: 'string' },
      workers: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      sync: { type: 'string', default: 'full' },
      'checkpoint-interval-ms': { type: 'string' },
      'log-segment-bytes': { type: 'string' },
      'log-segments-kept': { type: 'string' },
      // Research only: serve a deliberately broken engine (acheron check --crash --mutant NAME), or
      // another protocol (a built-in name or a module exporting a Protocol), or die by SIGKILL at a
      // named instant (--crash-at log-write:3).
      mutant: { type: 'string' },
      protocol: { type: 'string' },
      'crash-at': { type: 'string' },
    },
  })
  if (values.token !== undefined && values['token-file'] !== undefined) throw new Error('give --token or --token-file, not both')
  const token = values.token ?? (values['token-file'] !== undefined ? readFileSync(values['token-file'], 'utf8').trim() : null)
  if (token === '') throw new Error('the token is empty')
  const log = createLogger()
  const partitions = positiveInt('partitions', values.partitions)
  const workers = positiveInt('workers', values.workers, 0)
  // Loaded only when asked for: the harness is not part of a normal server.
  const mutants = values.mutant === undefined ? null : await import('../testing/mutants.js')
  const mutant = mutants?.mutantByName(values.mutant as string) ?? null
  const checkpointIntervalMs = positiveInt('checkpoint-interval-ms', values['checkpoint-interval-ms'], 0)
  const logSegmentBytesMax = positiveInt('log-segment-bytes', values['log-segment-bytes'], 1)
  const logSegmentsKept = positiveInt('log-segments-kept', values['log-segments-kept'], 0)
  const options: OpenOptions = {
    dir: values.data, sync: syncMode(values.sync),
    ...(partitions !== undefined ? { partitions } : {}), ...(workers !== undefined ? { workers } : {}),
    ...(checkpointIntervalMs !== undefined ? { checkpointIntervalMs } : {}),
    ...(logSegmentBytesMax !== undefined ? { logSegmentBytesMax } : {}),
    ...(logSegmentsKept !== undefined ? { logSegmentsKept } : {}),
    ...(values['crash-at'] !== undefined ? { crashAt: parseCrashAt(values['crash-at']) } : {}),
    log: (line) => log({ level: 'info', msg: line }),
    ...(values.protocol !== undefined ? { protocol: await (await import('./protocol-loader.js')).loadProtocol(values.protocol) } : {}),
  }
  const db = await open(mutants === null ? options : mutants.withMutant(options, mutant))
  if (mutant !== null) log({ level: 'warn', msg: `serving the deliberately broken mutant '${mutant.name}': ${mutant.bug}` })
  const payloadBytesMax = positiveInt('ACHERON_PAYLOAD_BYTES_MAX', process.env.ACHERON_PAYLOAD_BYTES_MAX) ?? DEFAULT_SERVER_LIMITS.payloadBytesMax
  const connectionsMax = positiveInt('ACHERON_CONNECTIONS_MAX', process.env.ACHERON_CONNECTIONS_MAX) ?? DEFAULT_SERVER_LIMITS.connectionsMax
  const server = await AcheronServer.listen({
    db, host: values.host, port: positiveInt('port', values.port, 0) ?? 7878, token,
    limits: { ...DEFAULT_SERVER_LIMITS, payloadBytesMax, connectionsMax }, log,
  })
  process.stdout.write(`acheron listening on ${server.url}\n`)
  log({ level: 'info', msg: 'listening', url: server.url, console: server.url.replace(/^ws:/, 'http:') + '/', payloadBytesMax, connectionsMax, auth: token !== null })
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log({ level: 'info', msg: `${signal}: finishing the batch in flight, then exiting` })
      void server.close().then(() => { log({ level: 'info', msg: 'stopped' }); resolve() })
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  return 0
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  switch (command) {
    case 'serve':
      return serve(rest)
    case 'console':
      return runConsole(rest)
    case 'verify':
      return (await import('./verify.js')).verifyCommand(rest, (line) => process.stdout.write(line + '\n'))
    case 'check':
      return (await import('./check-command.js')).checkCommand(rest, (line) => process.stdout.write(line + '\n'))
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        options: {
          data: { type: 'string', default: DEFAULT_DATA_DIR },
          workers: { type: 'string' },
          protocol: { type: 'string', default: 'aria' },
          transfers: { type: 'string', default: '20000' },
          sync: { type: 'string', default: 'full' },
        },
      })
      await runDemo({
        dir: values.data, protocol: values.protocol, sync: syncMode(values.sync), transfers: Number(values.transfers),
        ...(values.workers !== undefined ? { workers: Number(values.workers) } : {}),
        out: (line) => process.stdout.write(line + '\n'),
      })
      return 0
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n')
      return command === undefined ? 2 : 0
    default:
      process.stderr.write(`acheron: '${command}' is not a command of this version\n${USAGE}\n`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`acheron: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
