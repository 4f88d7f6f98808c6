// The server log for a person at a terminal: each pino JSON line becomes one readable line,
// `12:04:05.123 WARN  msg  key=value …`, coloured by level (as pino-pretty prints, without the dependency).
import type { DestinationStream } from 'pino'

const COLOURS: Readonly<Record<string, string>> = { fatal: '35', error: '31', warn: '33', info: '32', debug: '36', trace: '90' }
/** Fields every line has, shown in the line's head instead. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname'])

function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]*$/.test(v) && v !== '' ? v : JSON.stringify(v)
  return JSON.stringify(v) ?? String(v)
}

/** The engine's `fn` and `source` fields, which its message already starts with (`[account.transfer] …`). */
function labelsMsg(key: string, value: unknown, msg: string): boolean {
  return (key === 'fn' || key === 'source') && typeof value === 'string' && msg.startsWith(`[${value}] `)
}

/** One JSON log line as a readable line (no newline); a line that is not a JSON object is kept as it is. */
export function readableLogLine(json: string, colour: boolean): string {
  let event: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(json)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return json.trimEnd()
    event = parsed as Record<string, unknown>
  } catch {
    return json.trimEnd()
  }
  const level = typeof event.level === 'string' ? event.level : 'info'
  const time = typeof event.time === 'string' ? event.time.replace(/^.*T/, '').replace(/Z$/, '') : ''
  const label = level.toUpperCase().padEnd(5)
  const code = COLOURS[level]
  const head = colour && code !== undefined ? `\x1b[${code}m${label}\x1b[0m` : label
  const msg = typeof event.msg === 'string' ? event.msg : ''
  const fields = Object.entries(event).filter(([k, v]) => !HEAD_FIELDS.has(k) && !labelsMsg(k, v, msg)).map(([k, v]) => `${k}=${fieldValue(v)}`)
  const line = `${time === '' ? '' : `${time} `}${head} ${msg}`
  return fields.length > 0 ? `${line}  ${fields.join(' ')}` : line
}

/** A pino destination writing readable lines to `out` (synchronously, as the JSON destination does). */
export function readableDestination(out: { write(s: string): unknown }, colour: boolean): DestinationStream {
  return {
    write(chunk: string): void {
      for (const line of chunk.split('\n')) if (line.trim() !== '') out.write(`${readableLogLine(line, colour)}\n`)
    },
  }
}
