// The progress line of `acheron bench`: while a matrix runs, one line on stderr that rewrites itself
// (workload, system, point, seconds left). Only on a terminal: piped output (scripts, tests) gets none.

export interface ProgressState {
  workload: string
  /** The system running now, as the table names it (Acheron, PostgreSQL, SQLite). */
  system: string
  /** The point's settings in words. */
  point: string
  /** 1-based index of the system run among all of the command's, and their number. */
  step: number
  steps: number
  /** Seconds of measuring (warm-up included) left for this system; null while it sets up (loads rows). */
  secondsLeft: number | null
  /** This system's warm-up and measured seconds. */
  measureS: number
  /** Measured seconds (warm-up included) of the runs after this one. */
  secondsAfter: number
}

/** The line, e.g. "acheron bench ycsbt [3/12] PostgreSQL θ 0.99: 7 s left (40 s in all, plus loading)". */
export function formatProgress(p: ProgressState): string {
  const now = p.secondsLeft === null ? 'loading' : `${Math.ceil(p.secondsLeft)} s left`
  const all = Math.ceil((p.secondsLeft ?? p.measureS) + p.secondsAfter)
  return `acheron bench ${p.workload} [${p.step}/${p.steps}] ${p.system} ${p.point}: ${now} (${all} s in all, plus loading)`
}

export interface ProgressLine {
  /** A system starts setting up. */
  begin: (state: Omit<ProgressState, 'secondsLeft'>) => void
  /** Its clients start (warm-up and measured window begin now). */
  measuring: () => void
  /** Clears the line (before the table, a warning, or at the end). */
  clear: () => void
}

const REDRAW_MS = 500

/** Updates a line on `stream` while it is a TTY; does nothing otherwise. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  if (!stream.isTTY) return { begin: () => undefined, measuring: () => undefined, clear: () => undefined }
  let state: Omit<ProgressState, 'secondsLeft'> | null = null
  let startedAt: number | null = null
  let timer: NodeJS.Timeout | null = null
  const draw = (): void => {
    if (state === null) return
    const left = startedAt === null ? null : Math.max(0, state.measureS - (performance.now() - startedAt) / 1000)
    // \r to the line's start, \x1b[K erases what a longer previous line left; cut to the terminal's width
    // (0 or undefined when the terminal does not say: then 80).
    const width = stream.columns > 0 ? stream.columns : 80
    stream.write(`\r${formatProgress({ ...state, secondsLeft: left }).slice(0, Math.max(20, width - 1))}\x1b[K`)
  }
  return {
    begin: (s) => {
      state = s
      startedAt = null
      timer ??= setInterval(draw, REDRAW_MS).unref()
      draw()
    },
    measuring: () => {
      startedAt = performance.now()
      draw()
    },
    clear: () => {
      if (timer !== null) clearInterval(timer)
      timer = null
      if (state !== null) stream.write('\r\x1b[K')
      state = null
    },
  }
}
