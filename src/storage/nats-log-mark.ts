/**
 * `DIR/nats-log.json`: the mark of a data directory whose batch log is a NATS JetStream stream
 * (`--log-nats`), written by every open on such a log. Such a directory holds the checkpoint only, and
 * nothing else in it says where its log is: a `log/` may be there all the same (a start without
 * `--log-nats` makes one), but it is not this node's log, and `acheron verify --repair` must not rebuild
 * the checkpoint from it. Only the stream's name is kept: the server URLs may carry credentials.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fsyncPath } from '../log/fsync-path.js'

export const NATS_LOG_FILE = 'nats-log.json'

export interface NatsLogMark {
  /** The JetStream stream that is the directory's batch log. */
  readonly stream: string
}

function markText(mark: NatsLogMark): string {
  return `${JSON.stringify({ batchLog: 'nats', stream: mark.stream })}\n`
}

/** Marks `dir` (whose lock the caller holds) as a node of `mark.stream`; written only when it says otherwise. */
export function markNatsLog(dir: string, mark: NatsLogMark): void {
  const file = join(dir, NATS_LOG_FILE)
  const text = markText(mark)
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return
  writeFileSync(`${file}.tmp`, text)
  fsyncPath(`${file}.tmp`)
  renameSync(`${file}.tmp`, file)
  fsyncPath(dir)
}

/**
 * The mark of `dir`, or null when it has none (a directory of its own log, or a node's written before
 * the mark existed). A mark that cannot be read still says the log is on NATS: its stream is then unknown.
 */
export function readNatsLogMark(dir: string): NatsLogMark | { readonly stream: null } | null {
  const file = join(dir, NATS_LOG_FILE)
  if (!existsSync(file)) return null
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { stream?: unknown }
    return typeof parsed.stream === 'string' ? { stream: parsed.stream } : { stream: null }
  } catch {
    return { stream: null }
  }
}
