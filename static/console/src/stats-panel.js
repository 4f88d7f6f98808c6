// The console's statistics panel (docs/console-browser.md, "Live plots"): on open it loads the server's
// history (GET /stats/history), then every second asks for the samples newer than its last one and for
// GET /stats, draws the plots (plots.js) and fills the metric table. While the server does not answer
// (stopped, restarting, a network gone) it asks ever less often: twice the wait after each failed poll, at
// most STATS_POLL_BACKOFF_MAX_MS, and every second again from the first answer. Its elements are found by id:
// plot-throughput, plot-aborts, plot-latency, stats (a table), stats-status; a missing plot is skipped.
import { el } from './dom.js'
import { drawTimePlot, emptyHistory, mergeHistory, newestT, plotLines, renderLegend, timeWindow } from './plots.js'

/** The longest wait between two polls while the server does not answer (the wait doubles up to it). */
export const STATS_POLL_BACKOFF_MAX_MS = 30_000
/** A plot spans at least a minute (a fresh server's first points do not fill the width). */
const PLOT_SPAN_MIN_MS = 60_000
const PLOTS = [
  { id: 'plot-throughput', lines: 'throughput', unit: '/s', stacked: false, empty: '' },
  { id: 'plot-aborts', lines: 'aborts', unit: '/s', stacked: true, empty: 'no aborts in view' },
  { id: 'plot-latency', lines: 'latency', unit: ' ms', stacked: false, empty: '' },
]

const $ = (id) => document.getElementById(id)

function renderStatsTable(stats) {
  const body = $('stats').tBodies[0]
  body.replaceChildren()
  for (const [name, value] of Object.entries(stats)) {
    const tr = body.insertRow()
    tr.appendChild(el('td', 'metric', name))
    const td = el('td', 'value', String(value))
    td.dataset.metric = name
    tr.appendChild(td)
  }
}

/** The legend list under a canvas, made on first use. */
function legendOf(canvas) {
  const next = canvas.nextElementSibling
  if (next !== null && next.classList.contains('legend')) return next
  const legend = el('ul', 'legend')
  canvas.after(legend)
  return legend
}

function problem(res) {
  return res.status === 401 ? 'unauthorized: enter the token, then Connect' : `HTTP ${res.status}`
}

/** The wait before the next poll after `failures` failed polls in a row: `pollMs`, doubled for each, capped. */
export function pollDelayMs(pollMs, failures) {
  return Math.min(pollMs * 2 ** Math.min(failures, 30), Math.max(pollMs, STATS_POLL_BACKOFF_MAX_MS))
}

/**
 * Starts the panel: draws the empty plots, polls now and every `pollMs` (backing off while polls fail:
 * pollDelayMs). `token()` is the token field's
 * value ('' for none), sent as `Authorization: Bearer`. Returns `poll`, to poll at once (a new token).
 * A token /stats refused (401; none at all included) is not sent again every second: the timer's polls
 * wait until the field holds another, and `poll()` (Connect) tries at once.
 */
export function startStatsPanel({ token, pollMs }) {
  /** The server's samples, kept as it does: at most its samples_max. */
  let history = emptyHistory()
  let shape = { samplesMax: 600, intervalMs: 1000 }
  let loads = 0
  let polls = 0
  let polling = false
  /** The token /stats answered 401 to (null while it answers): the timer does not ask with it again. */
  let refused = null
  /** Polls in a row that got no answer (a network error, or an HTTP error other than 401): the backoff. */
  let failures = 0
  /** The timer of the next poll: one at a time, set again after each poll (schedule). */
  let timer = null

  function drawPlots() {
    const lines = plotLines(history)
    const span = timeWindow(history.t, PLOT_SPAN_MIN_MS, shape.samplesMax * shape.intervalMs)
    for (const p of PLOTS) {
      const canvas = $(p.id)
      if (canvas === null) continue
      drawTimePlot(canvas, {
        t: history.t, lines: lines[p.lines], window: span, stacked: p.stacked,
        tzOffsetMin: new Date().getTimezoneOffset(), ratio: window.devicePixelRatio || 1,
      })
      renderLegend(legendOf(canvas), lines[p.lines], p.unit, p.empty)
    }
  }

  /** /stats for the table, and the samples of /stats/history since the newest the page has (all at first). */
  async function poll({ timer = false } = {}) {
    // One poll at a time: two with the same `since` would bring the same samples twice.
    if (polling) return
    const t = token()
    // Every second the same 401 (and an error in the browser's console each time): wait for another token.
    if (timer && refused === t) return
    polling = true
    const headers = t === '' ? {} : { authorization: `Bearer ${t}` }
    const status = $('stats-status')
    try {
      const since = newestT(history)
      const [now, past] = await Promise.all([
        fetch('/stats', { headers, cache: 'no-store' }),
        fetch(since === null ? '/stats/history' : `/stats/history?since=${since}`, { headers, cache: 'no-store' }),
      ])
      if (!now.ok || !past.ok) {
        const res = now.ok ? past : now
        // A 401 is the server answering (the timer stops asking with that token anyway); a 502 from a proxy
        // in front of a stopped server is not.
        if (res.status === 401) {
          refused = t
          failures = 0
        } else failures++
        status.textContent = problem(res)
        return
      }
      refused = null
      failures = 0
      const [stats, reply] = await Promise.all([now.json(), past.json()])
      shape = { samplesMax: reply.samples_max, intervalMs: reply.interval_ms }
      history = mergeHistory(history, reply, shape.samplesMax)
      const first = $('plot-throughput')
      // What the first load brought: after a reload, the minutes the server kept (tests read it).
      if (loads++ === 0 && first !== null) first.dataset.loaded = String(history.t.length)
      polls++
      renderStatsTable(stats)
      drawPlots()
      status.textContent = `updated ${new Date().toLocaleTimeString()}`
      status.dataset.polls = String(polls)
    } catch (err) {
      failures++
      status.textContent = `unreachable (${err instanceof Error ? err.message : String(err)})`
    } finally {
      polling = false
      status.dataset.nextMs = String(pollDelayMs(pollMs, failures))
    }
  }

  /** The next timer poll, `pollDelayMs` after now: after each poll, so that an answer ends the backoff at once. */
  function schedule() {
    clearTimeout(timer)
    timer = setTimeout(() => { void poll({ timer: true }).finally(schedule) }, pollDelayMs(pollMs, failures))
  }

  drawPlots()
  void poll().finally(schedule)
  // Connect (or another token) polls at once; its outcome sets the wait of the timer's next poll.
  return { poll: () => poll().finally(schedule) }
}
