// Tabs: several scripts, each with its own editor state (text, selection, undo history), their text and
// names kept in localStorage so they survive a reload. New, close, rename (double-click the name).

/** Tabs open at once. */
export const TABS_MAX = 20
/** Characters of a tab's name. */
export const TAB_NAME_CHARS_MAX = 40
/** A longer script stays in its tab but is not stored (localStorage holds a few MiB per origin). */
export const TAB_SCRIPT_CHARS_STORED_MAX = 200_000
/** The tab list (ids, names, the active one); each tab's text under a key of its own, so a keystroke writes one script. */
const STORAGE_KEY = 'acheron.console.tabs.v1'
const scriptKey = (id) => `acheron.console.tab.v1.${id}`
const FIRST_SCRIPT = 'SHOW TABLES;'

function load(storage) {
  try {
    const saved = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null')
    if (saved === null || !Array.isArray(saved.tabs)) return null
    const tabs = saved.tabs.filter((t) => typeof t?.id === 'string' && /^t\d+$/.test(t.id) && typeof t.name === 'string').slice(0, TABS_MAX)
      .map((t) => ({ id: t.id, name: t.name, doc: storage.getItem(scriptKey(t.id)) ?? '' }))
    if (tabs.length === 0) return null
    return { tabs, active: tabs.some((t) => t.id === saved.active) ? saved.active : tabs[0].id }
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

/**
 * The tab bar in `bar` over the one editor (editor.js). `editor.newState(doc)` makes a tab's state,
 * `editor.setState(state)` shows it.
 */
export function mountTabs({ bar, editor, storage = window.localStorage }) {
  const loaded = load(storage)
  const saved = loaded ?? { tabs: [{ id: 't1', name: 'Script 1', doc: FIRST_SCRIPT }], active: 't1' }
  const tabs = saved.tabs.map((t) => ({ id: t.id, name: t.name.slice(0, TAB_NAME_CHARS_MAX), doc: t.doc, state: null }))
  let active = saved.active
  let counter = tabs.reduce((n, t) => Math.max(n, Number(/^t(\d+)$/.exec(t.id)?.[1] ?? 0)), 0)

  const byId = (id) => tabs.find((t) => t.id === id)
  const save = () => store(storage, STORAGE_KEY, JSON.stringify({ tabs: tabs.map((t) => ({ id: t.id, name: t.name })), active }))
  const saveScript = (tab) => store(storage, scriptKey(tab.id), tab.doc.length > TAB_SCRIPT_CHARS_STORED_MAX ? null : tab.doc)

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
    if (tabs.length >= TABS_MAX) return
    counter++
    tabs.push({ id: `t${counter}`, name: `Script ${counter}`, doc: '', state: null })
    show(`t${counter}`)
    editor.focus()
  }

  function close(id) {
    const index = tabs.findIndex((t) => t.id === id)
    if (index < 0) return
    tabs.splice(index, 1)
    store(storage, scriptKey(id), null)
    if (tabs.length === 0) {
      counter++
      tabs.push({ id: `t${counter}`, name: `Script ${counter}`, doc: '', state: null })
    }
    if (id === active) {
      active = null
      show(tabs[Math.min(index, tabs.length - 1)].id)
    } else {
      save()
      render()
    }
  }

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
      if (keep && name !== '') tab.name = name
      save()
      render()
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
      label.addEventListener('click', () => { if (tab.id !== active) show(tab.id) })
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
    /** The editor's text changed: keep it for the active tab. */
    changed(doc) {
      const tab = byId(active)
      if (tab === undefined) return
      tab.doc = doc
      saveScript(tab)
    },
  }
}
