// Batch times a model cannot know in advance. A model writes a placeholder `{tN}` where a `time` step
// reads a time (N names what shares one time: a transaction in the crash property, a batch in the
// declared-order replay), and the oracle binds each placeholder from the first reply or row that shows it.
// Once bound, a placeholder stands for that time wherever it recurs.

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * A model's text as a pattern of what the engine may show: a placeholder bound in `times` is that time,
 * an unbound one any decimal time (the same wherever it recurs).
 */
export function timePattern(text: string, times: ReadonlyMap<number, string>): RegExp {
  const seen = new Set<number>()
  let src = ''
  let last = 0
  for (const m of text.matchAll(/\{t(\d+)\}/g)) {
    src += escapeRegExp(text.slice(last, m.index))
    const n = Number(m[1])
    const bound = times.get(n)
    src += bound !== undefined ? bound : seen.has(n) ? `\\k<t${n}>` : `(?<t${n}>\\d+)`
    seen.add(n)
    last = (m.index ?? 0) + m[0].length
  }
  return new RegExp(`^${src}${escapeRegExp(text.slice(last))}$`)
}

/** Does the engine's text match the model's? Binds in `times` the placeholders it fixes. */
export function matchTimes(got: string, want: string, times: Map<number, string>): boolean {
  const m = timePattern(want, times).exec(got)
  if (m === null) return false
  for (const [name, value] of Object.entries(m.groups ?? {})) times.set(Number(name.slice(1)), value)
  return true
}


/** The model's text with the placeholders bound so far filled in (for a failure's message). */
export function fillTimes(text: string, times: ReadonlyMap<number, string>): string {
  return text.replace(/\{t(\d+)\}/g, (p, n: string) => times.get(Number(n)) ?? p)
}
