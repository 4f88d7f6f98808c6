// The input side of the console, put together: the editor with its tabs, the query history and the
// schema sidebar, all fed by the catalog, which the page reads again after every script that may have
// changed it. main.js owns the connection and the results; it hands this module `request` and `runSql`.
import { changesCatalog, readCatalog } from './catalog.js'
import { createEditor } from './editor.js'
import { createHistory, HISTORY_STORAGE_KEY, renderHistory } from './history.js'
import { renderSchema } from './schema.js'
import { mountTabs } from './tabs.js'

const TOKEN_WANTED = 'catalog not read: the server wants a token (enter it, then Connect)'

/**
 * `request(body)` sends one WebSocket request and resolves with its reply; `runSql(script)` runs a script
 * and shows its results, resolving with the reply (null when there was none); `isRunning()` says whether
 * a script is running (then runSql refuses another).
 */
export function mountWorkbench({ $, request, runSql, isRunning }) {
  const history = createHistory()
  const historyList = $('history-list')
  const schemaStatus = $('schema-status')
  let tabs = null
  // Stepping through the history from the keyboard: -1 is the text being written (kept as `draft`),
  // 0 the newest entry; typing anything starts again from the draft.
  let historyAt = -1
  let draft = ''
  let stepping = false
  const stepHistory = (step) => {
    const entries = history.entries()
    const next = Math.max(-1, Math.min(entries.length - 1, historyAt + step))
    if (next === historyAt) return null
    if (historyAt === -1) draft = editor.view.state.doc.toString()
    historyAt = next
    stepping = true
    return next === -1 ? draft : entries[next].sql
  }
  const editor = createEditor({
    parent: $('sql'),
    onRun: (sent) => { void run(sent) },
    onChange: (doc) => {
      if (stepping) stepping = false
      else historyAt = -1
      tabs?.changed(doc)
    },
    onHistory: stepHistory,
  })
  tabs = mountTabs({ bar: $('tabs'), editor })

  const showHistory = () => {
    renderHistory(historyList, history.entries(), (sql) => editor.replaceAll(sql))
    $('history-count').textContent = String(history.entries().length)
  }
  showHistory()
  $('history-clear').addEventListener('click', () => { history.clear(); showHistory() })
  // Another console window ran a script or cleared the history: this one's list follows.
  window.addEventListener('storage', (e) => {
    if (e.key !== HISTORY_STORAGE_KEY && e.key !== null) return
    history.reload()
    showHistory()
  })

  async function run(sent) {
    // Said, not silent: Run on an empty editor looked like a click that did nothing.
    if (sent.text.trim() === '') {
      $('run-status').textContent = 'nothing to run: the editor is empty'
      return
    }
    // Refused while another script runs (runSql says so): no history entry, the marker of the one running stays.
    if (isRunning()) {
      void runSql(sent.text)
      return
    }
    editor.clearErrors()
    const doc = editor.view.state.doc
    const reply = await runSql(sent.text)
    history.add(sent.text, reply?.ok === true)
    historyAt = -1
    showHistory()
    // The marker goes where the error is only while the text is still the one that ran (same tab, unedited).
    if (reply !== null && reply.ok === false && editor.view.state.doc === doc) editor.markError(reply.error, sent)
    if (changesCatalog(sent.text)) await refreshCatalog()
  }

  // ---- the catalog: one refresh at a time; a request during one runs once more after it.
  let refreshing = null
  let again = false
  let statements = 0
  let refreshes = 0
  // Without a token, a server that wants one is never asked (main.js's connection() checks /stats first):
  // the request fails with UNAUTHORIZED at once, and the sidebar says a token is wanted.
  async function refreshOnce() {
    schemaStatus.textContent = 'reading the catalog…'
    try {
      const catalog = await readCatalog(request)
      statements += catalog.statements
      editor.setCatalog(catalog)
      renderSchema({ tablesList: $('schema-tables'), functionsList: $('schema-functions') }, catalog, (name) => editor.insert(name))
      const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`
      schemaStatus.textContent = `${count(catalog.tables.length, 'table')}, ${count(catalog.functions.length, 'function')}` + (catalog.truncated ? ' (some without columns)' : '')
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      schemaStatus.textContent = /UNAUTHORIZED/.test(message) ? TOKEN_WANTED : `catalog not read: ${message}`
    } finally {
      refreshes++
      // For tests and the curious: how often the page read the catalog, and how many statements that took
      // (each is a read the server counts in its transaction totals).
      schemaStatus.dataset.refreshes = String(refreshes)
      schemaStatus.dataset.statements = String(statements)
    }
  }
  function refreshCatalog() {
    if (refreshing !== null) {
      again = true
      return refreshing
    }
    refreshing = (async () => {
      do {
        again = false
        await refreshOnce()
      } while (again)
      refreshing = null
    })()
    return refreshing
  }
  $('schema-refresh').addEventListener('click', () => { void refreshCatalog() })
  // A new token opens a new connection (main.js); the catalog may only now be readable.
  $('reconnect').addEventListener('click', () => { void refreshCatalog() })
  $('token').addEventListener('change', () => { void refreshCatalog() })
  void refreshCatalog()

  return {
    run: () => editor.run(),
    refreshCatalog,
  }
}
