// Query history: the scripts this browser ran against this origin, newest first, kept in localStorage
// and bounded. Recalling one puts it back in the editor. Several console windows share it: a run is
// added to the stored list as it is then (read, add, write), not to this window's copy of it, so no
// window writes away the runs of another.

/** Entries kept; the oldest goes when a new one comes. */
export const HISTORY_ENTRIES_MAX = 200
/** A longer script runs, but is not kept (localStorage holds a few MiB per origin). */
export const HISTORY_SCRIPT_CHARS_MAX = 20_000
export const HISTORY_STORAGE_KEY = 'acheron.console.history.v1'

/** The stored entries; `unreadable` when storage cannot be read (disabled): then this page's own copy holds. */
function load(storage, unreadable = []) {
  let text
  try {
    text = storage.getItem(HISTORY_STORAGE_KEY)
  } catch {
    return unreadable
  }
  try {
    const list = JSON.parse(text ?? '[]')
    return Array.isArray(list) ? list.filter((e) => typeof e?.sql === 'string').slice(0, HISTORY_ENTRIES_MAX) : []
  } catch {
    return []
  }
}

export function createHistory(storage = window.localStorage) {
  let entries = load(storage)
  const save = () => {
    try {
      storage.setItem(HISTORY_STORAGE_KEY, JSON.stringify(entries))
    } catch {
      // Storage full or disabled: the history lives on in this page only.
    }
  }
  return {
    entries: () => entries,
    /** Records a run; the same script run again moves to the top instead of appearing twice. */
    add(sql, ok) {
      if (sql.length > HISTORY_SCRIPT_CHARS_MAX || sql.trim() === '') return
      // The stored list first: another window may have added to it (or cleared it) since this one read it.
      entries = [{ sql, ok, at: new Date().toISOString() }, ...load(storage, entries).filter((e) => e.sql !== sql)].slice(0, HISTORY_ENTRIES_MAX)
      save()
    },
    /** Takes in the stored list (another window ran a script or cleared the history). */
    reload() {
      entries = load(storage, entries)
    },
    clear() {
      entries = []
      save()
    },
  }
}

/** The characters of a label kept (the list's width cuts it shorter, with an ellipsis). */
const LABEL_CHARS_MAX = 300

/**
 * An entry as one line: the whole script with its runs of white space as one space (its first line
 * alone said nothing of a script that starts with a comment, or of a statement written over lines).
 */
export function historyLabel(sql) {
  const line = sql.trim().replace(/\s+/g, ' ')
  return line.length > LABEL_CHARS_MAX ? line.slice(0, LABEL_CHARS_MAX) + '…' : line
}

/** Renders the history into `list` (an <ol>); clicking an entry calls `recall(sql)`. */
export function renderHistory(list, entries, recall) {
  list.replaceChildren()
  for (const e of entries) {
    const li = document.createElement('li')
    li.className = e.ok ? 'ok' : 'failed'
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'recall'
    button.textContent = historyLabel(e.sql)
    button.title = e.sql
    button.addEventListener('click', () => recall(e.sql))
    const when = document.createElement('time')
    when.dateTime = e.at
    when.textContent = new Date(e.at).toLocaleTimeString()
    li.append(button, when)
    list.appendChild(li)
  }
}
