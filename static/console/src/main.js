// The Acheron browser console: SQL over the WebSocket protocol of CONTRACT.md §4 at this page's own
// origin, function upload, and live plots of GET /stats/history (docs/console-browser.md). An ES module: the
// build (scripts/build-console.js) bundles it and its imports, npm packages included, into
// dist/console/console.js, which the server sends as /console.js. The input side (editor, tabs, history,
// schema sidebar, upload) is in workbench.js and upload.js.
import { mountUpload } from './upload.js'
import { mountWorkbench } from './workbench.js'

const $ = (id) => document.getElementById(id)
const runButton = $('run')
const results = $('results')
const runStatus = $('run-status')
const connStatus = $('conn-status')
const serverVersion = $('server-version')
const tokenInput = $('token')

const STATS_POLL_MS = 1000
const REQUEST_TIMEOUT_MS = 60_000

// ---- WebSocket client ------------------------------------------------------------------------

let ws = null
let opening = null
/** The newest socket: only its events change the status line. */
let current = null
/** Counts connection attempts: an attempt that is no longer the newest opens nothing. */
let attempts = 0
/**
 * Whether the last open connection was lost (closed by the server or the network, not by Connect): the
 * next one to open may be to a restarted server, whose catalog the sidebar then reads again.
 */
let lost = false
let nextId = 1
/** Requests awaiting their reply; `background` ones (auth, version, the catalog) are the page's own. */
const pending = new Map()
/** Sockets the server refused (a reply to no request, then its close), with the error it gave. */
const refusals = new WeakMap()
/** Requests the page stopped waiting for (REQUEST_TIMEOUT_MS), by id: whether each was the page's own. */
const abandoned = new Map()

const TOKEN_NEEDED = 'this server needs a token: enter it in the token field at the top, then Connect (or Run)'

/**
 * The server refused the connection before running anything on it (no token, a wrong one, too many
 * connections): unlike a connection lost mid-request, nothing sent on it ran.
 */
class Refused extends Error {
  constructor(error) {
    super(`${error.code}: ${error.message}`)
    this.error = error
  }
}

/** No connection could be opened (no server there, or none reachable): the request was never sent. */
class NotSent extends Error {}

function setStatus(state, text) {
  connStatus.dataset.state = state
  connStatus.textContent = text
}

function token() {
  return tokenInput.value.trim()
}

/** Whether the server wants a token that the field does not have: /stats answers 401 (asked before any WebSocket). */
async function tokenMissing() {
  if (token() !== '') return false
  try {
    return (await fetch('/stats', { method: 'HEAD', cache: 'no-store' })).status === 401
  } catch {
    return false
  }
}

/** A refusal in the console's words: without a token, what to do about it. */
function refusalError(error) {
  if (error?.code === 'UNAUTHORIZED' && token() === '') return { code: 'UNAUTHORIZED', message: TOKEN_NEEDED }
  if (error?.code === 'UNAUTHORIZED') return { code: 'UNAUTHORIZED', message: `the server refused the token: ${error.message}; enter the right one, then Connect (or Run)` }
  return error ?? { code: 'INTERNAL', message: 'refused without a reason' }
}

/**
 * Opens the connection (once); with a token, its first frame is {"op":"auth","token":...}. Without one,
 * a server that wants one is not connected to at all: it would refuse the first request, and close an
 * idle connection after its authentication deadline.
 */
function connection() {
  if (ws !== null && ws.readyState === WebSocket.OPEN) return Promise.resolve(ws)
  if (opening !== null) return opening
  const attempt = ++attempts
  const done = () => { if (attempts === attempt) opening = null }
  opening = (async () => {
    if (await tokenMissing()) {
      if (attempts === attempt) setStatus('token', 'token needed: enter it, then Connect')
      throw new Refused({ code: 'UNAUTHORIZED', message: TOKEN_NEEDED })
    }
    if (attempts !== attempt) throw new Error('superseded by a newer connection')
    return openSocket()
  })()
  opening.then(done, done)
  return opening
}

function openSocket() {
  return new Promise((resolve, reject) => {
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
      const t = token()
      if (t !== '') {
        const id = nextId++
        const accepted = () => {
          setStatus('open', 'connected, token accepted')
          // An earlier refusal no longer holds.
          for (const box of results.querySelectorAll('[data-refusal]')) box.remove()
        }
        pending.set(id, { resolve: accepted, reject: () => {}, timer: null, socket, background: true })
        socket.send(JSON.stringify({ id, op: 'auth', token: t }))
      }
      setStatus('open', t === '' ? 'connected' : 'connected, authenticating…')
      // After the auth frame: the catalog's requests follow it on this socket.
      if (lost) {
        lost = false
        onReconnected()
      }
      resolve(socket)
    })
    socket.addEventListener('message', (event) => receive(socket, event.data))
    let opened = false
    socket.addEventListener('open', () => { opened = true })
    socket.addEventListener('close', (event) => {
      if (ws === socket) {
        ws = null
        lost = true
      }
      const refusal = refusals.get(socket)
      // Closed before it opened: nothing was sent on it (a request waits for the open), so say so.
      reject(new NotSent(`could not connect to ${url} (${event.code}): is the server running? Nothing was sent; Run tries again`))
      if (current === socket) {
        // The next connection may reach another server (restarted, upgraded): it says its version again.
        serverVersion.textContent = ''
        if (refusal !== undefined) setStatus('closed', refusal.code === 'UNAUTHORIZED' ? 'token refused: enter it, then Connect' : `refused (${refusal.code}); Run reconnects`)
        else if (!opened) setStatus('closed', `cannot connect (${event.code}); Run tries again`)
        else setStatus('closed', `disconnected (${event.code}${event.reason ? ' ' + event.reason : ''}); Run reconnects`)
      }
      for (const [id, p] of pending) {
        if (p.socket !== socket) continue
        pending.delete(id)
        if (p.timer !== null) clearTimeout(p.timer)
        p.reject(new Error(`the connection closed (${event.reason === '' ? event.code : `${event.code} ${event.reason}`}) before the reply to request ${id}; it may or may not have run`))
      }
    })
    socket.addEventListener('error', () => { if (current === socket) setStatus('error', 'connection error') })
  })
}

function receive(socket, text) {
  let msg
  try { msg = JSON.parse(text) } catch { return showUnsolicited({ code: 'INTERNAL', message: `unreadable frame: ${String(text).slice(0, 200)}` }) }
  const p = typeof msg.id === 'number' ? pending.get(msg.id) : undefined
  // The server refusing the connection (it closes it next): UNAUTHORIZED, or OVERLOADED in answer to the
  // auth frame. The refusal carries the id of the frame it answers, or none (at the upgrade); either way
  // every request waiting on the socket fails with it, in the console's words.
  const refusal = msg.ok === false && (msg.error?.code === 'UNAUTHORIZED' || (msg.error?.code === 'OVERLOADED' && p?.background === true))
  if (p === undefined && !refusal && typeof msg.id === 'number' && abandoned.has(msg.id)) {
    // The late reply to a script the page gave up on: not the server refusing the connection. Its outcome
    // goes to the status line (unless another script runs); the results shown stay.
    const background = abandoned.get(msg.id)
    abandoned.delete(msg.id)
    if (!background && !running) runStatus.textContent = `the script with no reply within ${REQUEST_TIMEOUT_MS / 1000} s ${msg.ok ? 'ran after all (its results are not shown)' : `failed after all: ${msg.error?.code ?? 'INTERNAL'}`}`
    return
  }
  if (p === undefined || refusal) {
    // A reply to no request is a refusal too, or a frame the server could not read.
    if (msg.ok === false) refused(socket, msg.error)
    return
  }
  pending.delete(msg.id)
  if (p.timer !== null) clearTimeout(p.timer)
  p.resolve(msg)
  if (msg.ok === true) askVersion(p.socket)
}

/**
 * The server refused `socket` (it closes it next) before running anything on it: the requests waiting on
 * it fail with the refusal, not as "may or may not have run". A script waiting shows it in its results;
 * with none waiting (Connect with a wrong token), it replaces what the results showed.
 */
function refused(socket, error) {
  const shown = refusalError(error)
  refusals.set(socket, shown)
  let runWaiting = false
  for (const [id, p] of pending) {
    if (p.socket !== socket) continue
    pending.delete(id)
    if (p.timer !== null) clearTimeout(p.timer)
    if (!p.background) runWaiting = true
    p.reject(new Refused(shown))
  }
  if (!runWaiting) results.replaceChildren(refusalBox(shown))
}

/** Sockets whose server was asked what it is. */
const versionAsked = new WeakSet()

/**
 * Shows the server's name and version ("version" op) beside the status, asked once per connection after
 * its first successful reply: before it, a server that wants a token would refuse the frame.
 */
function askVersion(socket) {
  if (versionAsked.has(socket) || socket.readyState !== WebSocket.OPEN) return
  versionAsked.add(socket)
  const id = nextId++
  pending.set(id, {
    resolve: (msg) => { if (msg.ok === true && msg.server) serverVersion.textContent = `${msg.server.name} ${msg.server.version}` },
    reject: () => {}, timer: null, socket, background: true,
  })
  socket.send(JSON.stringify({ id, op: 'version' }))
}

/** Sends one request; `background` for the page's own (the catalog), whose failures show elsewhere. */
async function request(body, { background = false } = {}) {
  const socket = await connection()
  const id = nextId++
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id)
      abandoned.set(id, background)
      reject(new Error(`no reply within ${REQUEST_TIMEOUT_MS / 1000} s; the page stopped waiting, and the script may or may not run`))
    }, REQUEST_TIMEOUT_MS)
    pending.set(id, { resolve, reject, timer, socket, background })
    socket.send(JSON.stringify({ id, ...body }))
  })
}

/** A new token takes effect on a new connection (the first frame authenticates). */
function reconnect() {
  if (ws !== null) ws.close(1000, 'reconnecting')
  ws = null
  // Connect reads the catalog itself (workbench.js).
  lost = false
  opening = null
  void connection().catch(() => {})
  void statsPanel.poll()
}
$('reconnect').addEventListener('click', reconnect)
tokenInput.addEventListener('change', reconnect)

// ---- rendering results ---------------------------------------------------------------------
// Imports are hoisted; this one sits with the section that uses it. Drawing a reply: results.js.
import { renderError, showReply } from './results.js'

/** An error that no run asked for (the server refusing the connection): it replaces what the results showed. */
function showUnsolicited(error) {
  results.replaceChildren(renderError(error || { code: 'INTERNAL', message: 'unknown error' }))
}

/** A refusal's box (data-refusal: the token being accepted later removes it). */
function refusalBox(error) {
  const box = renderError(error)
  box.dataset.refusal = 'true'
  return box
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

/** Whether a script is running: one at a time (a second would run while the first's results are drawn). */
let running = false
const RUNNING_TEXT = 'running…'

/**
 * Runs `script` and draws its reply, titled by `label` when given. While another script runs it sends
 * nothing and resolves with null (Ctrl-Enter, "why?" and the upload buttons all come here; Run is disabled).
 */
async function runSql(script, label) {
  if (running) {
    runStatus.textContent = `${RUNNING_TEXT} (the script running must finish first; this one was not sent)`
    return null
  }
  running = true
  runButton.disabled = true
  runStatus.textContent = RUNNING_TEXT
  const started = performance.now()
  results.replaceChildren()
  try {
    const reply = await request({ op: 'sql', sql: script })
    const ms = (performance.now() - started).toFixed(1)
    const statements = label === undefined ? splitStatements(script) : [label]
    // A labelled script is one the page wrote (an upload's CREATE): a line and column in it mean nothing to the user.
    const { shown, renderMs } = showReply(results, reply, statements, (c) => { void runSql(`EXPLAIN COMMIT (${c.batch}, ${c.seq});`) }, { positions: label === undefined })
    const n = `${shown} statement${shown === 1 ? '' : 's'}`
    const drawn = ` · drawn in ${renderMs.toFixed(1)} ms`
    results.dataset.renderMs = renderMs.toFixed(1)
    if (reply.ok) {
      runStatus.textContent = `${n} in ${ms} ms${drawn}`
    } else {
      runStatus.textContent = `${shown > 0 ? `${n} ran, then ` : ''}failed after ${ms} ms${drawn}`
    }
    return reply
  } catch (err) {
    results.appendChild(err instanceof Refused ? refusalBox(err.error) : renderError({ code: 'CONNECTION', message: err instanceof Error ? err.message : String(err) }))
    runStatus.textContent = err instanceof NotSent ? 'not sent: no connection to the server' : ''
    return null
  } finally {
    running = false
    runButton.disabled = false
    // Counts finished runs (tests wait on it).
    results.dataset.runs = String(Number(results.dataset.runs || 0) + 1)
  }
}

const workbench = mountWorkbench({ $, request: (body) => request(body, { background: true }), runSql, isRunning: () => running })
/** A connection opened after one was lost: the server may have restarted with another catalog. */
function onReconnected() {
  void workbench.refreshCatalog()
}
runButton.addEventListener('click', () => workbench.run())

mountUpload({
  $,
  runSql,
  registered: () => { void workbench.refreshCatalog() },
})

// ---- stats and plots (stats-panel.js) -------------------------------------------------------
// Imports are hoisted; this one sits with the section that uses it.
import { startStatsPanel } from './stats-panel.js'

const statsPanel = startStatsPanel({ token, pollMs: STATS_POLL_MS })
void connection().catch(() => {})
