/**
 * Named instants at which a research or test run may kill the process with SIGKILL, to show that
 * recovery holds there: in the middle of writing a log entry, inside a checkpoint's SQLite
 * transaction, between the deletions of two log segments. Components ask `reached(event)` at each such
 * instant; only the one configured occurrence answers true. Absent in normal use.
 */
import { writeSync } from 'node:fs'

export const CRASH_EVENTS = ['log-write', 'checkpoint', 'segment-delete'] as const
export type CrashEvent = (typeof CRASH_EVENTS)[number]

export interface CrashAt {
  readonly event: CrashEvent
  /** 1 for the first occurrence. */
  readonly count: number
}

export interface CrashPoints {
  reached(event: CrashEvent): boolean
}

export const NO_CRASH_POINTS: CrashPoints = { reached: () => false }

export function crashPoints(at: CrashAt | undefined): CrashPoints {
  if (at === undefined) return NO_CRASH_POINTS
  let seen = 0
  return { reached: (event) => event === at.event && ++seen === at.count }
}

/** Dies at once, as `kill -9` would: no exit handlers, no flushing. */
export function dieNow(): never {
  process.kill(process.pid, 'SIGKILL')
  // SIGKILL is delivered before this line in practice; block until it lands.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000)
}

/**
 * Asked at each named instant, like `reached`: at the configured occurrence it stops this process at once
 * (SIGSTOP to itself, every thread), after saying so on stderr, and a test resumes it (SIGCONT) when it
 * chooses, as if the machine had stalled. The line is written synchronously, so it is out before the
 * stop: `acheron: paused at EVENT:N`.
 */
export type PausePoints = (event: CrashEvent) => void

export function pausePoints(at: CrashAt | undefined): PausePoints {
  if (at === undefined) return () => {}
  const points = crashPoints(at)
  return (event) => {
    if (points.reached(event)) pauseHere(`${at.event}:${at.count}`)
  }
}

/** Stops this process now, as a pause point does, after writing `acheron: paused at WHERE` to stderr. */
export function pauseHere(where: string): void {
  writeSync(2, `acheron: paused at ${where}\n`)
  process.kill(process.pid, 'SIGSTOP')
}

/** `--pause-at`: only a log write of a replicated log pauses (the instant a fail-over test needs). */
export function parsePauseAt(text: string): CrashAt {
  const at = parseCrashAt(text)
  if (at.event !== 'log-write') throw new Error(`--pause-at takes log-write:N (a batch log message on NATS), got '${text}'`)
  return at
}

export function parseCrashAt(text: string): CrashAt {
  const [event, count] = text.split(':')
  if (!CRASH_EVENTS.includes(event as CrashEvent) || !/^\d+$/.test(count ?? '') || Number(count) < 1) {
    throw new Error(`crash point must be EVENT:N with EVENT one of ${CRASH_EVENTS.join(', ')}, got '${text}'`)
  }
  return { event: event as CrashEvent, count: Number(count) }
}
