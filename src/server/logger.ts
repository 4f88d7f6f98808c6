// `acheron serve`'s structured log: pino JSON lines on stderr (stdout carries only the ready line); on a
// terminal, readable lines instead (log-lines.ts).
// The server and engine emit plain events `{ level, msg, ...fields }`; this adapts them to pino, so the
// server itself stays free of the logging library and tests inject their own `log`.
import { writeSync } from 'node:fs'
import { pino, type DestinationStream, type Level } from 'pino'
import { readableDestination } from './log-lines.js'
import { noColor } from '../no-color.js'

export type LogEvent = Record<string, unknown>
export type LogFn = (event: LogEvent) => void

const LEVELS: ReadonlySet<string> = new Set<Level>(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])

/**
 * One JSON line per event: `{"level":"warn","time":"2026-…Z","pid":…,"hostname":…,"msg":…, …fields}`.
 * Writes are synchronous (fd 2 by default), so nothing is lost when the process exits right after a
 * graceful shutdown; the server logs rarely (failures, connections refused, shutdown), never per request.
 */
export function createLogger(options: { level?: Level; destination?: DestinationStream; readable?: boolean } = {}): LogFn {
  // On a terminal (stderr a TTY, unless ACHERON_LOG_FORMAT=json): one readable, coloured line per event.
  const readable = options.readable ?? (process.stderr.isTTY === true && process.env.ACHERON_LOG_FORMAT !== 'json')
  const destination = options.destination ??
    (readable ? readableDestination({ write: (s: string) => writeSync(2, s) }, !noColor(process.env)) : pino.destination({ dest: 2, sync: true }))
  const logger = pino({
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, destination)
  return (event) => {
    const { level, msg, ...fields } = event
    const l = typeof level === 'string' && LEVELS.has(level) ? (level as Level) : 'info'
    logger[l](fields, typeof msg === 'string' ? msg : JSON.stringify(msg ?? null))
  }
}
