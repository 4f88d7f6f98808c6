// Tabs: several scripts, each with its own editor state (text, selection, undo history), their text and
// names kept in localStorage so they survive a reload. New, close, rename (double-click the name).
// Every console window of this origin shares that storage: tab ids are random, so two windows never
// write one key, and each change of the tab list is merged into the stored one (read, apply, write),
// never a stale copy written over it; the `storage` event brings the other windows' tabs and texts in.
// A closed tab's id is kept in the list for a while: only that takes a tab from another window (a list
// merely lacking it may be a window's write that crossed this one's).

/** Tabs open at once. */
export const TABS_MAX = 20
/** Characters of a tab's name. */
export const TAB_NAME_CHARS_MAX = 40
/** A longer script stays in its tab but is not stored (localStorage holds a few MiB per origin). */
export const TAB_SCRIPT_CHARS_STORED_MAX = 200_000
/** The tab list (ids, names, the active one); each tab's text under a key of its own, so a keystroke writes one script. */
const STORAGE_KEY = 'acheron.console.tabs.v1'
const SCRIPT_KEY_PREFIX = 'acheron.console.tab.v1.'
const scriptKey = (id) => SCRIPT_KEY_PREFIX + id
/** Ids of closed tabs the list keeps (to tell the other windows); an older one may come back, never go missing. */
const CLOSED_IDS_KEPT = 100
/** `t1`, `t2`, ... from before ids were random, and `t` + random base-36 digits since. */
const TAB_ID = /^t[0-9a-z]{1,32}$/
const FIRST_SCRIPT = 'SHOW TABLES;'

/** An id no other window will pick: 64 random bits. */
function newId() {
  const words = crypto.getRandomValues(new Uint32Array(2))
  return 't' + [...words].map((w) => w.toString(36)).join('')
}

/** The stored tab list, `{ tabs: [{ id, name }], active, closed: [id] }`, or null when there is none (or it is unreadable). */
function readList(storage) {
  try {
    const saved = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null')
    if (saved === null || !Array.isArray(saved.tabs)) return null
    const tabs = saved.tabs.filter((t) => typeof t?.id === 'string' && TAB_ID.test(t.id) && typeof t.name === 'string').slice(0, TABS_MAX)
      .map((t) => ({ id: t.id, name: t.name.slice(0, TAB_NAME_CHARS_MAX) }))
    if (tabs.length === 0) return null
    const closed = Array.isArray(saved.closed) ? saved.closed.filter((id) => typeof id === 'string' && TAB_ID.test(id)).slice(-CLOSED_IDS_KEPT) : []
    return { tabs, active: tabs.some((t) => t.id === saved.active) ? saved.active : tabs[0].id, closed }
  } catch {
    return null
  }
}

function readScript(storage, id) {
  try {
    return storage.getItem(scriptKey(id))
  } catch {
    return null
  }
}

/** localStorage may be full or disabled: then the tabs live on in this page only. */
function store(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key)
    else storage.setItem(key, value)
  } catch {
    // Nothing to do: the page keeps working without storage.
  }
}

/** The next "Script N": one past the highest N among the tabs' names. */
function nextName(tabs) {
  const n = tabs.reduce((max, t) => Math.max(max, Number(/^Script (\d+)$/.exec(t.name)?.[1] ?? 0)), 0)
  return `Script ${n + 1}`
}

/**
 * The tab bar in `bar` over the one editor (editor.js). `editor.newState(doc)` makes a tab's state,
 * `editor.setState(state)` shows it.
 */
export function mountTabs({ bar, editor, storage = window.localStorage, events = window }) {
  const loaded = readList(storage)
  const tabs = loaded === null
    ? [{ id: newId(), name: 'Script 1', doc: FIRST_SCRIPT, state: null }]
    : loaded.tabs.map((t) => ({ id: t.id, name: t.name, doc: readScript(storage, t.id) ?? '', state: null }))
  let active = loaded === null ? tabs[0].id : loaded.active
  /** Ids of tabs closed here or in another window (the newest CLOSED_IDS_KEPT are stored). */
  const closed = new Set(loaded?.closed ?? [])

  const byId = (id) => tabs.find((t) => t.id === id)
  const save = () => {
    const list = { tabs: tabs.map((t) => ({ id: t.id, name: t.name })), active, closed: [...closed].slice(-CLOSED_IDS_KEPT) }
    store(storage, STORAGE_KEY, JSON.stringify(list))
  }
  const saveScript = (tab) => store(storage, scriptKey(tab.id), tab.doc.length > TAB_SCRIPT_CHARS_STORED_MAX ? null : tab.doc)

  /**
   * Takes in the stored list, which other windows may have changed: their new tabs (with their texts),
   * their renames, and their closed tabs. A tab of this window's that the list lacks but does not name
   * as closed stays (another window wrote before it saw it). Returns whether the active tab went, and
   * whether the stored list lacks tabs of this window's (then it must be written again).
   */
  function adopt() {
    const stored = readList(storage)
    if (stored === null) return null
    for (const id of stored.closed) closed.add(id)
    const next = stored.tabs.filter((s) => !closed.has(s.id)).map((s) => {
      const mine = byId(s.id)
      if (mine === undefined) return { id: s.id, name: s.name, doc: readScript(storage, s.id) ?? '', state: null }
      mine.name = s.name
      return mine
    })
    const listed = next.length
    for (const t of tabs) if (!closed.has(t.id) && !next.includes(t)) next.push(t)
    if (next.length === 0) next.push({ id: newId(), name: 'Script 1', doc: '', state: null })
    const activeGone = !next.some((t) => t.id === active)
    tabs.splice(0, tabs.length, ...next)
    return { activeGone, behind: next.length > listed }
  }

  /**
   * A change to the tab list, merged into the stored one: the stored list is taken in first, then
   * `apply()` changes it and may answer a tab to show; written and drawn.
   */
  function change(apply) {
    const activeGone = adopt()?.activeGone ?? false
    const target = apply()
    if (target !== undefined && byId(target) !== undefined) show(target)
    else if (activeGone) show(tabs[0].id)
    else {
      save()
      render()
    }
  }

  function show(id) {
    const current = byId(active)
    if (current !== undefined && current.state !== null) current.state = editor.view.state
    active = id
    const tab = byId(id)
    if (tab.state === null) tab.state = editor.newState(tab.doc)
    editor.setState(tab.state)
    save()
    render()
  }

  function add() {
    change(() => {
      if (tabs.length >= TABS_MAX) return undefined
      const tab = { id: newId(), name: nextName(tabs), doc: '', state: null }
      tabs.push(tab)
      return tab.id
    })
    editor.focus()
  }

  function close(id) {
    change(() => {
      const index = tabs.findIndex((t) => t.id === id)
      if (index < 0) return undefined
      tabs.splice(index, 1)
      closed.add(id)
      store(storage, scriptKey(id), null)
      if (tabs.length === 0) tabs.push({ id: newId(), name: nextName(tabs), doc: '', state: null })
      if (id !== active) return undefined
      active = null
      return tabs[Math.min(index, tabs.length - 1)].id
    })
  }

  /** Another window changed a tab's text: this one shows the same (in the editor too, when it is the active tab). */
  function textChanged(tab, text) {
    if (tab.doc === text) return
    tab.doc = text
    if (tab.id === active) editor.setText(text)
    else tab.state = null
  }

  events.addEventListener('storage', (e) => {
    if (e.storageArea !== storage || e.key === null) return
    if (e.key === STORAGE_KEY) {
      const { activeGone, behind } = adopt() ?? {}
      if (activeGone) show(tabs[0].id)
      else if (behind) {
        save()
        render()
      } else render()
    } else if (e.key.startsWith(SCRIPT_KEY_PREFIX) && e.newValue !== null) {
      const tab = byId(e.key.slice(SCRIPT_KEY_PREFIX.length))
      if (tab !== undefined) textChanged(tab, e.newValue)
    }
  })

  function rename(id, label) {
    const tab = byId(id)
    const input = document.createElement('input')
    input.className = 'tab-rename'
    input.value = tab.name
    input.maxLength = TAB_NAME_CHARS_MAX
    input.setAttribute('aria-label', 'tab name')
    let done = false
    const finish = (keep) => {
      if (done) return
      done = true
      const name = input.value.trim().slice(0, TAB_NAME_CHARS_MAX)
      change(() => {
        const renamed = byId(id)
        if (keep && name !== '' && renamed !== undefined) renamed.name = name
        return undefined
      })
    }
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') finish(true)
      else if (e.key === 'Escape') finish(false)
    })
    input.addEventListener('blur', () => finish(true))
    label.replaceWith(input)
    input.focus()
    input.select()
  }

  function render() {
    bar.replaceChildren()
    for (const tab of tabs) {
      const item = document.createElement('div')
      item.className = 'tab'
      item.setAttribute('role', 'tab')
      item.setAttribute('aria-selected', String(tab.id === active))
      item.dataset.tab = tab.id
      const label = document.createElement('button')
      label.type = 'button'
      label.className = 'tab-name'
      label.textContent = tab.name
      label.title = 'double-click to rename'
      label.addEventListener('click', () => { if (tab.id !== active) change(() => tab.id) })
      label.addEventListener('dblclick', () => rename(tab.id, label))
      const x = document.createElement('button')
      x.type = 'button'
      x.className = 'tab-close'
      x.textContent = '×'
      x.title = `close ${tab.name}`
      x.setAttribute('aria-label', `close ${tab.name}`)
      x.addEventListener('click', () => close(tab.id))
      item.append(label, x)
      bar.appendChild(item)
    }
    const plus = document.createElement('button')
    plus.type = 'button'
    plus.id = 'tab-new'
    plus.className = 'tab-new'
    plus.textContent = '+'
    plus.title = `new tab (at most ${TABS_MAX})`
    plus.disabled = tabs.length >= TABS_MAX
    plus.addEventListener('click', add)
    bar.appendChild(plus)
  }

  if (loaded === null) saveScript(tabs[0])
  show(active)
  return {
    /** The editor's text changed: keep it for the active tab (unless it is the text another window wrote). */
    changed(doc) {
      const tab = byId(active)
      if (tab === undefined || tab.doc === doc) return
      tab.doc = doc
      saveScript(tab)
    },
  }
}
