// The SQL editor: CodeMirror 6 with Acheron's dialect (highlighting, completion of keywords and of the
// catalog's tables, columns and functions), Ctrl/Cmd-Enter to run, and error markers at the line and
// column the server reports. One EditorView; each tab is its own EditorState (tabs.js swaps them).
import './csp-styles.js'
import { basicSetup } from 'codemirror'
import { EditorView, keymap } from '@codemirror/view'
import { Compartment, EditorState, Prec } from '@codemirror/state'
import { schemaCompletionSource, sql, SQLDialect } from '@codemirror/lang-sql'
import { syntaxHighlighting } from '@codemirror/language'
import { classHighlighter, tags } from '@lezer/highlight'
import { acceptCompletion, autocompletion, completionStatus, selectedCompletion } from '@codemirror/autocomplete'
import { insertNewlineAndIndent } from '@codemirror/commands'
import { lintGutter, setDiagnostics } from '@codemirror/lint'
import { BUILTIN_NAMES, sqlFunctionName, sqlName } from './sql-names.js'

/** Completion options offered at once (the popup scrolls; the rest narrow as you type). */
export const COMPLETIONS_MAX = 200
/** The function name being typed after CALL: `t`, `t.` or `t.f`. */
// (The name may be empty: right after `CALL ` every function is offered.)
const CALL_TARGET = /\bCALL\s+(?:[A-Za-z_]\w*(\.\w*)?)?$/i
/** How far back completion looks for the statement around the cursor. */
const STATEMENT_LOOKBACK_CHARS = 4000

/** The words of Acheron's SQL (src/sql/parse.ts, docs/sql.md), for highlighting and keyword completion. */
export const ACHERON_DIALECT = SQLDialect.define({
  keywords: [
    'all alter and as asc base64 begin between by call case cast cluster commit create default delete desc describe distinct drop ignore',
    'else end escape except exists explain export false file first from fuel function functions group having if in insert intersect into is',
    'cross full inner join key last left like limit logs memory not null nulls offset on or order outer partitions primary replace right select set show',
    'stats table tables then transaction true union update using values wasm when where with',
    'over partition rows range groups unbounded preceding following current row recursive conflict do nothing excluded filter window',
    'add column rename to index indexes returning truncate glob collate',
  ].join(' '),
  types: 'integer int bigint real double float text blob boolean bool',
  builtin: BUILTIN_NAMES.join(' '),
  backslashEscapes: false,
  hashComments: false,
  doubleQuotedStrings: false,
  identifierQuotes: '"',
  caseInsensitiveIdentifiers: true,
})

/**
 * The token classes console.css colours (`tok-keyword`, `tok-string`, ...), except that lang-sql tags a
 * "quoted" identifier as a special string: it is a name, and gets a name's class (and colour).
 */
const QUOTED_IDENTIFIER = tags.special(tags.string)
const highlighter = {
  style: (nodeTags) => (nodeTags.includes(QUOTED_IDENTIFIER) ? 'tok-variableName tok-quotedName' : classHighlighter.style(nodeTags)),
}

/** Sizes and fonts; a theme, because CodeMirror's base theme would win over console.css (csp-styles.js). */
const layout = EditorView.theme({
  '&': { maxHeight: '60vh', fontSize: '13px', backgroundColor: '#fff' },
  '.cm-scroller': { overflow: 'auto', fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', lineHeight: '1.4' },
  '.cm-content, .cm-gutter': { minHeight: '11rem' },
  '&.cm-focused': { outline: '2px solid #b3c6f2' },
  // @codemirror/lint draws its underline and gutter marks as data: SVG images, which the CSP's
  // `img-src 'self'` refuses: the same marks in plain CSS instead.
  '.cm-lintRange-error, .cm-lintRange-warning, .cm-lintRange-info, .cm-lintRange-hint': { backgroundImage: 'none', textDecoration: 'underline wavy', textDecorationThickness: '1px' },
  '.cm-lintRange-error': { textDecorationColor: '#d11' },
  '.cm-lintRange-warning': { textDecorationColor: 'orange' },
  '.cm-lint-marker-error, .cm-lint-marker-warning, .cm-lint-marker-info': { content: 'normal', width: '0.8em', height: '0.8em', borderRadius: '50%', boxSizing: 'border-box', border: '2px solid #f43', backgroundColor: '#f87', marginTop: '0.2em' },
  '.cm-lint-marker-warning': { borderColor: '#fd7', backgroundColor: '#fe8' },
  '.cm-lint-marker-info': { borderColor: '#77e', backgroundColor: '#aaf' },
})

/** A completion of a name: the name as the label, inserted "quoted" when it must be (a column `select`). */
function nameOption(name, fields, asSql = sqlName) {
  const text = asSql(name)
  return text === name ? { label: name, ...fields } : { label: name, apply: text, ...fields }
}

/** lang-sql's schema for completion: table → columns, with each column's type and key in the popup. */
function completionSchema(catalog) {
  const schema = {}
  for (const t of catalog.tables) {
    schema[t.name] = {
      self: nameOption(t.name, { type: 'type', detail: `table, ${t.partitions} partitions` }),
      children: (t.columns ?? []).map((c) => nameOption(c.name, { type: 'property', detail: columnDetail(c) })),
    }
  }
  return schema
}

export function columnDetail(c) {
  return c.type + (c.primaryKey ? ' key' : '') + (c.notNull && !c.primaryKey ? ' not null' : '')
}

/**
 * What lang-sql does not know: after CALL, the catalog's functions (`t.f`, or `f` after `t.`); elsewhere,
 * the columns of the tables the statement around the cursor names, unqualified.
 */
function catalogCompletions(getCatalog) {
  return (context) => {
    const call = context.matchBefore(CALL_TARGET)
    return call !== null ? functionCompletions(getCatalog(), call) : columnCompletions(getCatalog(), context)
  }
}

function functionCompletions(catalog, call) {
  const text = call.text.replace(/^CALL\s+/i, '')
  const from = call.to - text.length
  const dot = text.indexOf('.')
  if (dot < 0) {
    const options = catalog.functions.slice(0, COMPLETIONS_MAX).map((f) => nameOption(f.name, { type: 'function', detail: `export ${f.export}` }, sqlFunctionName))
    return { from, options, validFor: /^[\w.]*$/ }
  }
  const table = text.slice(0, dot).toLowerCase()
  const options = catalog.functions.filter((f) => f.table.toLowerCase() === table).slice(0, COMPLETIONS_MAX)
    .map((f) => nameOption(f.name.slice(f.table.length + 1), { type: 'function', detail: `export ${f.export}, fuel ${f.fuel}` }))
  return { from: from + dot + 1, options, validFor: /^\w*$/ }
}

function columnCompletions(catalog, context) {
  const word = context.matchBefore(/[A-Za-z_]\w*$/)
  if (word === null && !context.explicit) return null
  // After `t.` lang-sql completes that table's columns.
  if (word !== null && context.state.sliceDoc(word.from - 1, word.from) === '.') return null
  const statement = statementAround(context.state, context.pos).toLowerCase()
  const named = catalog.tables.filter((t) => t.columns !== null && new RegExp(`\\b${t.name.toLowerCase().replace(/\W/g, '\\$&')}\\b`).test(statement))
  const options = []
  for (const t of named) for (const c of t.columns) options.push(nameOption(c.name, { type: 'property', detail: `${columnDetail(c)} (${t.name})`, boost: 1 }))
  if (options.length === 0) return null
  return { from: word === null ? context.pos : word.from, options: options.slice(0, COMPLETIONS_MAX), validFor: /^\w*$/ }
}

/** The text between the `;` before `pos` and the one after it (roughly: a `;` in a string also counts). */
function statementAround(state, pos) {
  const start = Math.max(0, pos - STATEMENT_LOOKBACK_CHARS)
  const before = state.sliceDoc(start, pos)
  const after = state.sliceDoc(pos, pos + STATEMENT_LOOKBACK_CHARS)
  const end = after.indexOf(';')
  return before.slice(before.lastIndexOf(';') + 1) + (end < 0 ? after : after.slice(0, end))
}

/**
 * Whether accepting the selected completion would leave the text as it is: the word before the cursor is
 * already exactly what it would insert (`FROM account` with `account` offered). Then Enter is a newline.
 */
function completionChangesNothing(state) {
  const range = state.selection.main
  if (completionStatus(state) !== 'active' || !range.empty) return false
  const option = selectedCompletion(state)
  const text = option === null ? null : option.apply === undefined ? option.label : typeof option.apply === 'string' ? option.apply : null
  if (text === null || text === '') return false
  const from = range.head - text.length
  if (from < 0 || state.sliceDoc(from, range.head) !== text) return false
  // The whole word, not its tail (`myaccount` with `account` offered would change).
  return !/\w/.test(state.sliceDoc(from - 1, from)) && !/\w/.test(state.sliceDoc(range.head, range.head + 1))
}

/**
 * Creates the editor in place of `parent`'s content. `onRun` gets the script to run: the selection if
 * there is one, else the whole text, with the offset where it starts (for error markers).
 */
export function createEditor({ parent, onRun, onChange, onHistory }) {
  let catalog = { tables: [], functions: [] }
  const language = new Compartment()
  // lang-sql's tables and `t.column` completion, except after CALL, where `t.` is followed by a function.
  const languageFor = () => {
    const schemaSource = schemaCompletionSource({ dialect: ACHERON_DIALECT, schema: completionSchema(catalog) })
    return [
      sql({ dialect: ACHERON_DIALECT, upperCaseKeywords: true }),
      ACHERON_DIALECT.language.data.of({ autocomplete: (context) => (context.matchBefore(CALL_TARGET) === null ? schemaSource(context) : null) }),
    ]
  }

  // Mod-Enter runs; Mod-ArrowUp / Mod-ArrowDown step through the history (older / newer), as the
  // terminal console's up and down arrows do. `onHistory(step)` answers the text to show, or null.
  // Enter accepts a completion (autocompletion's keymap) unless that would change nothing: then it is a
  // newline, or typing `... FROM account` + Enter gave `accountWHERE`. Tab accepts too.
  const historyStep = (step) => (view) => {
    const text = onHistory?.(step) ?? null
    if (text === null) return true
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: text.length }, scrollIntoView: true })
    return true
  }
  const runKeys = Prec.highest(keymap.of([
    { key: 'Mod-Enter', preventDefault: true, run: (view) => { onRun(script(view.state)); return true } },
    { key: 'Mod-ArrowUp', preventDefault: true, run: historyStep(1) },
    { key: 'Mod-ArrowDown', preventDefault: true, run: historyStep(-1) },
    { key: 'Enter', run: (view) => completionChangesNothing(view.state) && insertNewlineAndIndent(view) },
    { key: 'Tab', run: acceptCompletion },
  ]))

  const extensions = [
    runKeys,
    layout,
    basicSetup,
    language.of(languageFor()),
    ACHERON_DIALECT.language.data.of({ autocomplete: catalogCompletions(() => catalog) }),
    autocompletion({ maxRenderedOptions: COMPLETIONS_MAX }),
    syntaxHighlighting(highlighter),
    lintGutter(),
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ 'aria-label': 'SQL script', spellcheck: 'false', autocapitalize: 'off', autocorrect: 'off' }),
    EditorView.updateListener.of((update) => { if (update.docChanged) onChange(update.state.doc.toString()) }),
  ]

  const newState = (doc) => EditorState.create({ doc, extensions })
  const view = new EditorView({ parent, state: newState('') })

  return {
    view,
    newState,
    /** Swaps in another tab's state, brought up to date with the catalog. */
    setState(state) {
      view.setState(state)
      view.dispatch({ effects: language.reconfigure(languageFor()) })
    },
    setCatalog(next) {
      catalog = next
      view.dispatch({ effects: language.reconfigure(languageFor()) })
    },
    /** Replaces the selection with `text` (or inserts it at the cursor) and gives the editor the focus. */
    insert(text) {
      view.dispatch(view.state.replaceSelection(text), { scrollIntoView: true })
      view.focus()
    },
    /** Replaces the whole text (undoable). */
    replaceAll(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: text.length }, scrollIntoView: true })
      view.focus()
    },
    /**
     * Makes the text `text` (written in another window) with the smallest change, so that the cursor
     * keeps its place in the text around it; the focus stays where it is.
     */
    setText(text) {
      const old = view.state.doc.toString()
      if (old === text) return
      let from = 0
      while (from < old.length && from < text.length && old[from] === text[from]) from++
      let tail = 0
      while (tail < old.length - from && tail < text.length - from && old[old.length - 1 - tail] === text[text.length - 1 - tail]) tail++
      view.dispatch({ changes: { from, to: old.length - tail, insert: text.slice(from, text.length - tail) } })
    },
    run() { onRun(script(view.state)) },
    /** Marks the error of a failed run, at the line and column the server reported within the script sent. */
    markError(error, sent) {
      const at = errorOffset(error, sent)
      if (at === null) return
      const doc = view.state.doc
      const from = Math.min(at, doc.length)
      // The token there: a name (t.col), a 'string' or a "quoted name" whole, else one character.
      const word = /^[\w.]+|^'(?:[^']|'')*'?|^"(?:[^"]|"")*"?|^\S/.exec(doc.sliceString(from, Math.min(doc.length, from + 200)))
      const to = Math.min(doc.length, from + (word === null ? 0 : word[0].length))
      view.dispatch(setDiagnostics(view.state, [{ from, to, severity: 'error', message: `${error.code}: ${error.message}` }]))
    },
    clearErrors() {
      view.dispatch(setDiagnostics(view.state, []))
    },
    focus() { view.focus() },
  }
}

function script(state) {
  const range = state.selection.main
  const selected = state.sliceDoc(range.from, range.to)
  if (selected.trim() !== '') return { text: selected, from: range.from }
  return { text: state.doc.toString(), from: 0 }
}

/** The document offset of an error's line/column (1-based, within the script sent), or null if it has none. */
export function errorOffset(error, sent) {
  if (typeof error?.line !== 'number' || typeof error?.column !== 'number') return null
  let lineStart = 0
  for (let line = 1; line < error.line; line++) {
    const nl = sent.text.indexOf('\n', lineStart)
    if (nl < 0) return null
    lineStart = nl + 1
  }
  return sent.from + Math.min(lineStart + error.column - 1, sent.text.length)
}
