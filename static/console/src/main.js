// The Acheron browser console: SQL over the WebSocket protocol of CONTRACT.md §4 at this page's own
// origin, function upload, and live plots of GET /stats (docs/console-browser.md). An ES module: the
// build (scripts/build-console.js) bundles it and its imports, npm packages included, into
// dist/console/console.js, which the server sends as /console.js.
const $ = (id) => document.getElementById(id)
const sqlBox = $('sql')
const runButton = $('run')
const results = $('results')
const runStatus = $('run-status')
const connStatus = $('conn-status')
const tokenInput = $('token')

/** Points kept per plot series (two minutes at one poll a second). */
const SERIES_POINTS_MAX = 120
const STATS_POLL_MS = 1000
const REQUEST_TIMEOUT_MS = 60_000

// ---- WebSocket client ------------------------------------------------------------------------

let ws = null
let opening = null
/** The newest socket: only its events change the status line. */
let current = null
let nextId = 1
const pending = new Map()

function setStatus(state, text) {
  connStatus.dataset.state = state
  connStatus.textContent = text
}

function token() {
  return tokenInput.value.trim()
}

/** Opens the connection (once); with a token, its first frame is {"op":"auth","token":...}. */
function connection() {
  if (ws !== null && ws.readyState === WebSocket.OPEN) return Promise.resolve(ws)
  if (opening !== null) return opening
  opening = new Promise((resolve, reject) => {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/'
    const socket = new WebSocket(url)
    current = socket
    setStatus('connecting', 'connecting…')
    socket.addEventListener('open', () => {
      if (current !== socket) {
        socket.close(1000, 'superseded')
        reject(new Error('superseded by a newer connection'))
        return
      }
      ws = socket
      opening = null
      const t = token()
      if (t !== '') {
        const id = nextId++
        pending.set(id, { resolve: () => setStatus('open', 'connected, token accepted'), reject: () => {}, timer: null, socket })
        socket.send(JSON.stringify({ id, op: 'auth', token: t }))
      }
      setStatus('open', t === '' ? 'connected' : 'connected, authenticating…')
      resolve(socket)
    })
    socket.addEventListener('message', (event) => receive(event.data))
    socket.addEventListener('close', (event) => {
      if (ws === socket) ws = null
      if (current === socket) {
        if (opening !== null) { opening = null; reject(new Error('the connection closed before it opened')) }
        setStatus('closed', `disconnected (${event.code}${event.reason ? ' ' + event.reason : ''}); Run reconnects`)
      }
      for (const [id, p] of pending) {
        if (p.socket !== socket) continue
        pending.delete(id)
        if (p.timer !== null) clearTimeout(p.timer)
        p.reject(new Error(`the connection closed (${event.code} ${event.reason}) before the reply to request ${id}; it may or may not have run`))
      }
    })
    socket.addEventListener('error', () => { if (current === socket) setStatus('error', 'connection error') })
  })
  return opening
}

function receive(text) {
  let msg
  try { msg = JSON.parse(text) } catch { return showUnsolicited({ code: 'INTERNAL', message: `unreadable frame: ${String(text).slice(0, 200)}` }) }
  const p = typeof msg.id === 'number' ? pending.get(msg.id) : undefined
  if (p === undefined) {
    // A reply to no request: the server refusing the connection (UNAUTHORIZED, OVERLOADED) or a frame it could not read.
    if (msg.ok === false) showUnsolicited(msg.error)
    return
  }
  pending.delete(msg.id)
  if (p.timer !== null) clearTimeout(p.timer)
  p.resolve(msg)
}

async function request(body) {
  const socket = await connection()
  const id = nextId++
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id)
      reject(new Error(`no reply within ${REQUEST_TIMEOUT_MS / 1000} s`))
    }, REQUEST_TIMEOUT_MS)
    pending.set(id, { resolve, reject, timer, socket })
    socket.send(JSON.stringify({ id, ...body }))
  })
}

/** A new token takes effect on a new connection (the first frame authenticates). */
function reconnect() {
  if (ws !== null) ws.close(1000, 'reconnecting')
  ws = null
  opening = null
  void connection().catch(() => {})
  void pollStats()
}
$('reconnect').addEventListener('click', reconnect)
tokenInput.addEventListener('change', reconnect)

// ---- rendering results ---------------------------------------------------------------------
// Imports are hoisted; this one sits with the section that uses it. Drawing a reply: results.js.
import { renderError, showReply } from './results.js'

function el(tag, className, text) {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}

function showUnsolicited(error) {
  results.prepend(renderError(error || { code: 'INTERNAL', message: 'unknown error' }))
}

/** Statement texts, roughly split at `;` outside quotes and comments (only to title the results). */
function splitStatements(script) {
  const out = []
  let cur = ''
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = script.indexOf(ch, i + 1)
      const stop = end < 0 ? script.length : end
      cur += script.slice(i, stop + 1)
      i = stop
    } else if (ch === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i)
      i = end < 0 ? script.length : end
    } else if (ch === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2)
      i = end < 0 ? script.length : end + 1
    } else if (ch === ';') {
      if (cur.trim() !== '') out.push(cur.trim())
      cur = ''
    } else cur += ch
  }
  if (cur.trim() !== '') out.push(cur.trim())
  return out
}

async function runSql(script, label) {
  runButton.disabled = true
  runStatus.textContent = 'running…'
  const started = performance.now()
  results.replaceChildren()
  try {
    const reply = await request({ op: 'sql', sql: script })
    const ms = (performance.now() - started).toFixed(1)
    const statements = label === undefined ? splitStatements(script) : [label]
    const { shown, renderMs } = showReply(results, reply, statements)
    const n = `${shown} statement${shown === 1 ? '' : 's'}`
    const drawn = ` · drawn in ${renderMs.toFixed(1)} ms`
    results.dataset.renderMs = renderMs.toFixed(1)
    if (reply.ok) {
      runStatus.textContent = `${n} in ${ms} ms${drawn}`
    } else {
      runStatus.textContent = `${shown > 0 ? `${n} ran, then ` : ''}failed after ${ms} ms${drawn}`
    }
  } catch (err) {
    results.appendChild(renderError({ code: 'CONNECTION', message: err instanceof Error ? err.message : String(err) }))
    runStatus.textContent = ''
  } finally {
    runButton.disabled = false
    // Counts finished runs (tests wait on it).
    results.dataset.runs = String(Number(results.dataset.runs || 0) + 1)
  }
}

function run() {
  const selected = sqlBox.value.slice(sqlBox.selectionStart, sqlBox.selectionEnd)
  const script = selected.trim() !== '' ? selected : sqlBox.value
  if (script.trim() === '') return
  void runSql(script)
}

runButton.addEventListener('click', run)
sqlBox.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault()
    run()
  }
})

// ---- function upload -----------------------------------------------------------------------

function bytesToBase64(bytes) {
  let bin = ''
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK))
  return btoa(bin)
}

function sqlText(s) {
  return "'" + s.replace(/'/g, "''") + "'"
}

$('upload').addEventListener('click', async () => {
  const file = $('wasm-file').files[0]
  const name = $('fn-name').value.trim()
  const exportName = $('fn-export').value.trim()
  const fuel = $('fn-fuel').value.trim()
  const problem = file === undefined ? 'choose a .wasm file'
    : !/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? 'name the function as table.function'
    : fuel !== '' && !/^[1-9][0-9]*$/.test(fuel) ? 'fuel is a positive integer'
    : null
  if (problem !== null) {
    results.replaceChildren(renderError({ code: 'SYNTAX_ERROR', message: problem }))
    return
  }
  const bytes = new Uint8Array(await file.arrayBuffer())
  const sql = `CREATE ${$('fn-replace').checked ? 'OR REPLACE ' : ''}FUNCTION ${name} FROM WASM BASE64 '${bytesToBase64(bytes)}'`
    + (exportName !== '' ? ` EXPORT ${sqlText(exportName)}` : '')
    + (fuel !== '' ? ` WITH (FUEL = ${fuel})` : '')
    + ';'
  const label = `CREATE ${$('fn-replace').checked ? 'OR REPLACE ' : ''}FUNCTION ${name} FROM WASM BASE64 '…' (${file.name}, ${bytes.length} bytes)`
    + (exportName !== '' ? ` EXPORT ${sqlText(exportName)}` : '') + (fuel !== '' ? ` WITH (FUEL = ${fuel})` : '')
  await runSql(sql, label)
})

// ---- stats and plots -----------------------------------------------------------------------

const series = {
  committed: [], aborted: [], p50: [], p99: [],
}
let polls = 0

function push(list, v) {
  list.push(typeof v === 'number' && Number.isFinite(v) ? v : 0)
  if (list.length > SERIES_POINTS_MAX) list.shift()
}

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

function niceMax(v) {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

/** A line plot drawn by hand: y axis from 0 to a round maximum, one line per series, a legend. */
function plot(canvas, lines, unit) {
  const ratio = window.devicePixelRatio || 1
  const w = canvas.clientWidth || canvas.width
  const h = canvas.clientHeight || canvas.height
  if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio)
  if (canvas.height !== Math.round(h * ratio)) canvas.height = Math.round(h * ratio)
  const g = canvas.getContext('2d')
  g.setTransform(ratio, 0, 0, ratio, 0, 0)
  g.clearRect(0, 0, w, h)
  const left = 46, right = 8, top = 18, bottom = 16
  const pw = w - left - right, ph = h - top - bottom
  const max = niceMax(Math.max(0, ...lines.flatMap((l) => l.values)))
  g.font = '10px system-ui, sans-serif'
  g.strokeStyle = '#e4e7ec'
  g.fillStyle = '#667085'
  g.lineWidth = 1
  for (let i = 0; i <= 4; i++) {
    const y = top + ph - (ph * i) / 4
    g.beginPath(); g.moveTo(left, y); g.lineTo(left + pw, y); g.stroke()
    const label = (max * i) / 4
    g.fillText(label >= 1000 ? `${(label / 1000).toFixed(label % 1000 === 0 ? 0 : 1)}k` : String(+label.toFixed(2)), 4, y + 3)
  }
  g.fillText(`last ${SERIES_POINTS_MAX} s`, left, h - 3)
  let lx = left
  for (const line of lines) {
    g.strokeStyle = line.color
    g.lineWidth = 1.5
    g.beginPath()
    const n = line.values.length
    line.values.forEach((v, i) => {
      const x = left + pw - ((n - 1 - i) * pw) / (SERIES_POINTS_MAX - 1)
      const y = top + ph - (Math.min(v, max) / max) * ph
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y)
    })
    g.stroke()
    const last = n > 0 ? line.values[n - 1] : 0
    const text = `${line.name} ${+last.toFixed(2)}${unit}`
    g.fillStyle = line.color
    g.fillRect(lx, 6, 8, 8)
    g.fillStyle = '#1d2330'
    g.fillText(text, lx + 11, 13)
    lx += g.measureText(text).width + 24
  }
}

function drawPlots() {
  plot($('plot-throughput'), [
    { name: 'committed', color: '#2f5fd0', values: series.committed },
    { name: 'aborted', color: '#b42318', values: series.aborted },
  ], '/s')
  plot($('plot-latency'), [
    { name: 'p50', color: '#067647', values: series.p50 },
    { name: 'p99', color: '#dc6803', values: series.p99 },
  ], ' ms')
}

async function pollStats() {
  const headers = token() === '' ? {} : { authorization: `Bearer ${token()}` }
  try {
    const res = await fetch('/stats', { headers, cache: 'no-store' })
    if (!res.ok) {
      $('stats-status').textContent = res.status === 401 ? 'unauthorized: enter the token' : `HTTP ${res.status}`
      return
    }
    const stats = await res.json()
    polls++
    push(series.committed, stats.committed_per_s)
    push(series.aborted, stats.aborted_per_s)
    push(series.p50, stats.latency_p50_ms)
    push(series.p99, stats.latency_p99_ms)
    renderStatsTable(stats)
    drawPlots()
    const status = $('stats-status')
    status.textContent = `updated ${new Date().toLocaleTimeString()}`
    status.dataset.polls = String(polls)
  } catch (err) {
    $('stats-status').textContent = `unreachable (${err instanceof Error ? err.message : String(err)})`
  }
}

drawPlots()
void pollStats()
setInterval(() => { void pollStats() }, STATS_POLL_MS)
void connection().catch(() => {})
