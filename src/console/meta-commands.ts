// Meta-commands (`\d`, `\x`, `\pset`, `\o`, `\i`, ...; docs/console.md): one table from name to handler,
// shared by the REPL and by scripts (-e, -f, \i), which differ only in their MetaHost. A bad argument is a
// one-line warning naming it, and the handler answers false (a script stops there, the REPL goes on).
import { writeFileSync } from 'node:fs'
import type { RemoteStatementResult } from '../client/remote.js'
import { AcheronError } from '../errors.js'
import { fileProblem } from '../file-problem.js'
import { CONDITIONAL_COMMANDS, notBooleanMessage, parseBoolean, type ConditionalStack } from './conditional.js'
import { CopyError, parseCopy, runCopy } from './copy.js'
import { plainText } from './format-delimited.js'
import { escapeControls, typeAt } from './format-table.js'
import { describeTables, listDatabases, listFunctions, listIndexes, listRelations, listTables } from './describe.js'
import { EXPANDED_MODES, isExpandedMode, isOutputFormat, NULL_TEXT_CHARS_MAX, NULL_TEXT_DEFAULT, OUTPUT_FORMATS } from './display.js'
import { HELP, sqlHelp } from './help.js'
import type { History } from './history.js'
import type { Printer } from './printer.js'
import type { Listing } from './render.js'
import { runShell } from './shell.js'
import type { Session } from './session.js'
import { expandTilde } from './tilde.js'
import { isVariableName, referenceAt, type Lookup } from './variables.js'

/** The longest \watch interval, in seconds (an hour: a longer wait is a cron job, not a watch). */
export const WATCH_SECONDS_MAX = 3600
export const WATCH_SECONDS_DEFAULT = 2

/** What a meta-command may act on; the REPL and the script runner each provide one. */
export interface MetaHost {
  readonly printer: Printer
  readonly session: Session
  /** Before each warning: where the meta-command stands in a script (`setup.sql:3: `), '' in the REPL. */
  readonly where: string
  timing: boolean
  /** \q: stop reading input. */
  quit(): void
  /** Whether a BEGIN block is held (its statements go to the server at its COMMIT). */
  readonly inBlock: boolean
  /** \r: forget the statement being typed and a held BEGIN block. */
  reset(): void
  /** \i FILE: run FILE's statements and meta-commands; false when one failed. */
  include(path: string): Promise<boolean>
  /** \e; null where there is no terminal to edit in. */
  readonly edit: (() => Promise<boolean>) | null
  /** \watch N; null where nobody can press Ctrl-C to stop it. */
  readonly watch: ((seconds: number) => Promise<boolean>) | null
  /**
   * \g, \gx: sends the statement being typed (in a script: the one the \g line ends), or else the last one
   * sent, its results to `file` when given and in records when `expanded`; false when it failed.
   */
  sendBuffer(options: SendOptions): Promise<boolean>
  /** \s: the REPL's history; null in scripts, which have none. */
  readonly history: History | null
  /** The open \if blocks (conditional.ts): of the REPL's session, or of the script file being run. */
  readonly conditionals: ConditionalStack
}

/** How \g, \gx and \gset send a statement: results to FILE, or to COMMAND's stdin, or where results go. */
export interface SendOptions {
  readonly file: string | null
  readonly pipe: string | null
  readonly expanded: boolean
  /**
   * \gset: what the statement's last result (when it has columns) is handed to instead of being shown;
   * false when its row could not be stored (it says why). Null for \g and \gx.
   */
  readonly store: ((result: RemoteStatementResult) => boolean) | null
}

/**
 * Is a \g of these options refused inside a held BEGIN block? Its results come only at COMMIT, so a FILE
 * or a |COMMAND would get nothing (a command ran with an empty stdin), \gx would not expand them, and
 * \gset could not set variables from them.
 */
export function refusedInBlock(options: SendOptions): boolean {
  return options.file !== null || options.pipe !== null || options.expanded || options.store !== null
}

/** Why refusedInBlock refuses it. */
export function notInBlock(options: SendOptions): string {
  return options.store !== null
    ? '\\gset: not inside a BEGIN block: its results come at COMMIT, too late to set variables (COMMIT first)'
    : '\\g: FILE, |COMMAND and \\gx not inside a BEGIN block: its results come at COMMIT (COMMIT first, or end the statement with ;)'
}

/** `raw`: the line's text after the name, for a command with a grammar of its own (\copy). */
type Handler = (args: string[], host: MetaHost, name: string, raw: string) => Promise<boolean> | boolean

/**
 * The words of a meta-command line: blank-separated, 'single quoted' with '' for a quote (a word may join
 * quoted and unquoted parts, as psql's: `a' 'b` is one word); null if a quote is open. With `lookup`,
 * `:name`, `:'name'` and `:"name"` outside quotes are the variable's value (variables.ts), in the same word.
 */
export function metaWords(text: string, lookup: Lookup | null = null): string[] | null {
  const words: string[] = []
  let i = 0
  for (;;) {
    while (i < text.length && /\s/.test(text[i] as string)) i++
    if (i >= text.length) return words
    let word = ''
    while (i < text.length && !/\s/.test(text[i] as string)) {
      const c = text[i] as string
      if (c === "'") {
        let j = i + 1
        for (;;) {
          const close = text.indexOf("'", j)
          if (close < 0) return null
          if (text[close + 1] === "'") { word += text.slice(j, close + 1); j = close + 2; continue }
          word += text.slice(j, close)
          i = close + 1
          break
        }
        continue
      }
      const ref = c === ':' && lookup !== null ? referenceAt(text, i, lookup) : null
      if (ref !== null) {
        word += ref.value
        i = ref.end
        continue
      }
      word += c
      i++
    }
    words.push(word)
  }
}

/** A meta-command's raw text (\copy's) with its variables put in, outside 'single quotes'. */
export function interpolateMetaText(text: string, lookup: Lookup): string {
  let out = ''
  for (let i = 0; i < text.length;) {
    const c = text[i] as string
    if (c === "'") {
      let j = i + 1
      while (j < text.length && !(text[j] === "'" && text[j + 1] !== "'")) j += text[j] === "'" ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
      continue
    }
    const ref = c === ':' ? referenceAt(text, i, lookup) : null
    if (ref !== null && text[i - 1] !== ':') {
      out += ref.value
      i = ref.end
      continue
    }
    out += c
    i++
  }
  return out
}

function warn(host: MetaHost, name: string, problem: string): false {
  host.printer.warn(`${host.where}${name}: ${problem}`)
  return false
}

/** A failed query's first line, `ERROR CODE: message`, its characters escaped as a failure's are (printer.ts). */
function errorLine(e: AcheronError): string {
  return `ERROR ${e.code}: ${escapeControls(e.message.split('\n')[0] ?? '')}`
}

/** Checks the argument count; warns and answers false when it is off. */
function arity(host: MetaHost, name: string, args: readonly string[], max: number, min = 0): boolean {
  if (args.length > max) return warn(host, name, `too many arguments (${max === 0 ? 'it takes none' : `at most ${max}`}): ${args.slice(max).join(' ')}`)
  if (args.length < min) return warn(host, name, `missing argument${min > 1 ? 's' : ''} (\\help shows it)`)
  return true
}

function onOff(host: MetaHost, name: string, arg: string | undefined, current: boolean): boolean | null {
  if (arg === undefined) return !current
  const a = arg.toLowerCase()
  if (a === 'on') return true
  if (a === 'off') return false
  warn(host, name, `expected on or off, not "${arg}"`)
  return null
}

const timing: Handler = (args, host, name) => {
  if (!arity(host, name, args, 1)) return false
  const next = onOff(host, name, args[0], host.timing)
  if (next === null) return false
  host.timing = next
  host.printer.note(`Timing is ${next ? 'on' : 'off'}.`)
  return true
}

function setExpanded(host: MetaHost, name: string, arg: string | undefined): boolean {
  const d = host.printer.display
  const mode = arg === undefined ? (d.expanded === 'on' ? 'off' : 'on') : arg.toLowerCase()
  if (!isExpandedMode(mode)) return warn(host, name, `expected ${EXPANDED_MODES.join(', ')}, not "${arg ?? ''}"`)
  d.expanded = mode
  host.printer.note(mode === 'auto' ? 'Expanded display is used automatically.' : `Expanded display is ${mode}.`)
  return true
}

const expanded: Handler = (args, host, name) => arity(host, name, args, 1) && setExpanded(host, name, args[0])

/** psql's \t [on|off] (and \pset tuples_only): rows without the column names and the footer; toggles without an argument. */
function setTuplesOnly(host: MetaHost, name: string, arg: string | undefined): boolean {
  const d = host.printer.display
  const next = onOff(host, name, arg, d.tuplesOnly)
  if (next === null) return false
  d.tuplesOnly = next
  host.printer.note(`Tuples only is ${next ? 'on' : 'off'}.`)
  return true
}

const tuplesOnly: Handler = (args, host, name) => arity(host, name, args, 1) && setTuplesOnly(host, name, args[0])

/** psql's \a: the unaligned format after the aligned one, else the aligned one (from csv too, as psql's). */
const toggleAlign: Handler = (args, host, name) => {
  if (!arity(host, name, args, 0)) return false
  const d = host.printer.display
  const f = d.format === 'aligned' ? 'unaligned' : 'aligned'
  if (host.printer.json) {
    host.printer.note(`Output format stays json: --json keeps stdout JSON lines (${f} without --json).`)
    return true
  }
  d.format = f
  host.printer.note(`Output format is ${f}.`)
  return true
}

/** How NULL is shown: as \pset null set it, or the default, which CSV writes as an empty field. */
function nullDisplay(nullText: string | null): string {
  return nullText === null ? `${JSON.stringify(NULL_TEXT_DEFAULT)} (an empty field in csv)` : JSON.stringify(nullText)
}

/** \pset alone: one setting a line, its value in a column after the longest name (as psql lists them). */
function settingsLines(host: MetaHost): string {
  const d = host.printer.display
  const settings: [string, string][] = [
    ['format', d.format],
    ['expanded', d.expanded],
    ['null', nullDisplay(d.nullText)],
    ['pager', d.pager ? 'on' : 'off'],
    ['tuples_only', d.tuplesOnly ? 'on' : 'off'],
  ]
  const width = Math.max(...settings.map(([name]) => name.length)) + 2
  return settings.map(([name, value]) => `${name.padEnd(width)}${value}`).join('\n')
}

const pset: Handler = (args, host, name) => {
  if (!arity(host, name, args, 2)) return false
  const d = host.printer.display
  const [option, value] = args
  switch (option?.toLowerCase()) {
    case undefined:
      host.printer.note(settingsLines(host))
      return true
    case 'null':
      if (value === undefined) {
        host.printer.note(`Null display is ${nullDisplay(d.nullText)}.`)
        return true
      }
      if (Array.from(value).length > NULL_TEXT_CHARS_MAX) return warn(host, name, `the null text is longer than ${NULL_TEXT_CHARS_MAX} characters`)
      if (/[\u0000-\u001f\u007f]/.test(value)) return warn(host, name, 'the null text may not hold control characters')
      d.nullText = value
      host.printer.note(`Null display is ${JSON.stringify(value)}.`)
      return true
    case 'format': {
      const f = value?.toLowerCase()
      if (f === undefined) {
        host.printer.note(`Output format is ${d.format}.`)
        return true
      }
      if (!isOutputFormat(f)) return warn(host, name, `unknown format "${value ?? ''}" (${OUTPUT_FORMATS.join(', ')})`)
      // --json promises JSON lines on stdout, whatever a script asks for.
      if (host.printer.json && f !== 'json') {
        host.printer.note(`Output format stays json: --json keeps stdout JSON lines (${f} without --json).`)
        return true
      }
      d.format = f
      host.printer.note(`Output format is ${f}.`)
      return true
    }
    case 'pager': {
      const next = onOff(host, `${name} pager`, value, d.pager)
      if (next === null) return false
      d.pager = next
      host.printer.note(`Pager usage is ${next ? 'on' : 'off'}.`)
      return true
    }
    case 'expanded':
      return setExpanded(host, `${name} expanded`, value)
    case 'tuples_only':
      return setTuplesOnly(host, `${name} tuples_only`, value)
    default:
      return warn(host, name, `unknown option "${option ?? ''}" (null, format, pager, expanded, tuples_only)`)
  }
}

/** psql's \o [FILE | |COMMAND]: later results to FILE, or to COMMAND's stdin (the rest of the line, run by sh). */
const output: Handler = async (args, host, name, raw) => {
  const command = pipeCommand(raw)
  if (command === '') return warn(host, name, 'a command after | is missing')
  if (command === null && !arity(host, name, args, 1)) return false
  const to = command !== null ? { command } : args[0] === undefined ? null : { file: expandTilde(args[0]) }
  const problem = await host.printer.redirect(to)
  return problem === null ? true : warn(host, name, problem)
}

/** The COMMAND of `|COMMAND` (\o, \g), the rest of the line as typed; null when the argument is no pipe. */
function pipeCommand(raw: string): string | null {
  return /^\s*\|(.*)$/s.exec(raw)?.[1]?.trim() ?? null
}

const include: Handler = (args, host, name) => arity(host, name, args, 1, 1) && host.include(expandTilde(args[0] as string))

/** psql's words (its describe.c) for a \d, \dt or \di that found nothing. */
function notFound(pattern: string | null): string {
  return pattern === null ? 'Did not find any relations.' : `Did not find any relation named "${pattern}".`
}

/**
 * A \d, \dt or \di listing; when it is empty, psql's line on stderr instead of an empty table, and no
 * failure (psql goes on too). In the json format the empty listing stays: stdout is a JSON line a listing.
 */
async function relations(host: MetaHost, pattern: string | null, l: Listing): Promise<void> {
  if (l.grid.rows.length === 0 && host.printer.display.format !== 'json') host.printer.warn(`${host.where}${notFound(pattern)}`)
  else await host.printer.listing(l)
}

/** \d, \dt, \df with or without +: the catalog (describe.ts); a server error is one line. */
const describe: Handler = async (args, host, name) => {
  if (!arity(host, name, args, 1)) return false
  const plus = name.endsWith('+')
  const base = plus ? name.slice(0, -1) : name
  const pattern = args[0] ?? null
  const query = (sql: string): ReturnType<Session['query']> => host.session.query(sql)
  try {
    if (base === '\\df') await host.printer.listing(await listFunctions(query, pattern, plus))
    else if (base === '\\dt') await relations(host, pattern, await listTables(query, pattern))
    else if (base === '\\di') await relations(host, pattern, await listIndexes(query, pattern))
    else if (pattern === null) await relations(host, null, await listRelations(query, null))
    else {
      const found = await describeTables(query, pattern, plus)
      if (found.length === 0) {
        // As psql's \d, an index by its name too (tables and indexes share one namespace).
        const indexes = await listIndexes(query, pattern)
        if (indexes.grid.rows.length > 0) {
          await host.printer.listing(indexes)
          return true
        }
        // psql's line as it words it, without the `\d:` of other warnings (a script's place stays before it).
        host.printer.warn(`${host.where}${notFound(pattern)}`)
        return false
      }
      for (const l of found) await host.printer.listing(l)
    }
    return true
  } catch (err) {
    const e = err instanceof AcheronError ? err : new AcheronError('INTERNAL', String(err))
    return warn(host, name, errorLine(e))
  }
}

const conninfo: Handler = async (args, host, name) => {
  if (!arity(host, name, args, 0)) return false
  // Asked first: it connects when there is no connection yet, and "connected" then says how that went.
  const server = await host.session.serverVersion()
  const i = host.session.info()
  host.printer.note([
    `URL:            ${i.url}`,
    `connected:      ${i.connected ? 'yes' : 'no (the next statement tries again)'}`,
    `server version: ${'version' in server ? server.version : `unknown, ${server.unknown}`}`,
    `TLS:            ${i.tls ? 'yes (wss://)' : 'no (ws://)'}`,
    `authenticated:  ${i.token ? 'with a token (Authorization: Bearer)' : 'no token sent'}`,
  ].join('\n'))
  return true
}

const edit: Handler = (args, host, name) => {
  if (!arity(host, name, args, 0)) return false
  return host.edit === null ? warn(host, name, 'only in the interactive console') : host.edit()
}

/** \watch's interval: a positive number of seconds, at most WATCH_SECONDS_MAX; a message when it is not. */
export function watchSeconds(arg: string | undefined): number | string {
  if (arg === undefined) return WATCH_SECONDS_DEFAULT
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(arg) ? Number(arg) : NaN
  if (!Number.isFinite(n) || n <= 0) return `the interval must be a positive number of seconds, not "${arg}"`
  if (n > WATCH_SECONDS_MAX) return `the interval is at most ${WATCH_SECONDS_MAX} seconds, not ${arg}`
  return n
}

const watch: Handler = (args, host, name) => {
  if (!arity(host, name, args, 1)) return false
  const seconds = watchSeconds(args[0])
  if (typeof seconds === 'string') return warn(host, name, seconds)
  return host.watch === null ? warn(host, name, 'only in the interactive console') : host.watch(seconds)
}

/** \logs on|off: CALLs are sent WITH LOGS, and their `log()` lines are printed after the result. */
const logs: Handler = (args, host, name) => {
  if (!arity(host, name, args, 1)) return false
  const next = onOff(host, name, args[0], host.session.withLogs)
  if (next === null) return false
  host.session.withLogs = next
  host.printer.note(`Function logs are ${next ? 'on: every CALL is sent WITH LOGS' : 'off'}.`)
  return true
}

/** psql's \echo: its words joined by a blank, on the screen (on stderr with --json, like any note). */
const echo: Handler = (args, host) => (host.printer.note(args.join(' ')), true)

/** psql's \qecho: as \echo, to where results go (the \o file or command). */
const queryEcho: Handler = async (args, host) => (await host.printer.queryEcho(args.join(' ')), true)

/**
 * The value of \if's or \elif's expression: its words, variables put in, joined by a blank (as psql joins
 * them), read as a boolean; null, said, when it is none (or a quote is left open).
 */
function condition(host: MetaHost, name: string, raw: string): boolean | null {
  const words = metaWords(raw, host.session.variables.lookup)
  if (words === null) return (warn(host, name, 'a quote is not closed'), null)
  const value = words.join(' ')
  const result = parseBoolean(value)
  if (result === null) warn(host, name, notBooleanMessage(value, `${name} expression`))
  return result
}

/**
 * psql's \if EXPR, \elif EXPR, \else, \endif (conditional.ts). The expression is read only where psql reads
 * it: not inside a branch skipped, nor in an \elif after a branch was taken. One that is no boolean opens a
 * false branch, as psql's, and answers false: a script stops there, as at any bad argument.
 */
const conditional: Handler = (_args, host, name, raw) => {
  const stack = host.conditionals
  let valid = true
  const evaluate = (): boolean | null => {
    const result = condition(host, name, raw)
    valid = result !== null
    return result
  }
  let problem: string | null = null
  if (name === '\\if') stack.openIf(evaluate)
  else if (name === '\\elif') problem = stack.elif(evaluate)
  else {
    problem = name === '\\else' ? stack.otherwise() : stack.endif()
    // psql's: the block is closed (or switched) all the same, and the extra words said.
    if (problem === null && raw.trim() !== '') return warn(host, name, `extra argument "${raw.trim()}" ignored`)
  }
  return problem === null ? valid : warn(host, name, problem)
}

/**
 * psql's \g [FILE | |COMMAND] and \gx: send the statement being typed (or the last one), its results to FILE,
 * or to COMMAND's stdin (the rest of the line, run by sh, as psql's).
 */
const send: Handler = (args, host, name, raw) => {
  const expanded = name === '\\gx'
  const pipe = pipeCommand(raw)
  if (pipe !== null) {
    if (pipe === '') return warn(host, name, 'a command after | is missing')
    return host.sendBuffer({ file: null, pipe, expanded, store: null })
  }
  if (!arity(host, name, args, 1)) return false
  const file = args[0] ?? null
  return host.sendBuffer({ file: file === null ? null : expandTilde(file), pipe: null, expanded, store: null })
}

/**
 * psql's \gset [PREFIX]: send the statement being typed (or the last one), as \g does, and set a variable
 * for each column of its one row, named PREFIX and the column's name, to the value as CSV writes it (a
 * BLOB as X'hex'); a NULL unsets it. No row, or more than one, is an error, and so is a column whose name
 * is no variable name; then no variable changes (psql set those before the bad one). A statement that
 * returns no rows (an INSERT without RETURNING) is shown as usual, and sets nothing, as psql's.
 */
const gset: Handler = (args, host, name) => {
  if (!arity(host, name, args, 1)) return false
  const prefix = args[0] ?? ''
  return host.sendBuffer({ file: null, pipe: null, expanded: false, store: (result) => storeRow(host, name, prefix, result) })
}

function storeRow(host: MetaHost, name: string, prefix: string, result: RemoteStatementResult): boolean {
  if (result.rows.length === 0) return warn(host, name, 'no rows returned for \\gset')
  if (result.rows.length > 1) return warn(host, name, `more than one row returned for \\gset (${result.rows.length} rows)`)
  const row = result.rows[0] as readonly unknown[]
  const entries = result.columns.map((column, i): [string, string | null] => {
    const v = row[i]
    return [prefix + column, v === null || v === undefined ? null : plainText(v, '', typeAt(result, 0, i))]
  })
  const bad = entries.findIndex(([variable]) => !isVariableName(variable))
  if (bad >= 0) {
    const column = result.columns[bad] as string
    return warn(host, name, `invalid variable name "${prefix}${column}" for column "${column}" (letters, digits and _: name the column with AS); no variable was set`)
  }
  const problem = host.session.variables.assign(entries)
  return problem === null ? true : warn(host, name, `${problem}; no variable was set`)
}

/** psql's \s [FILE]: the history, on the screen or into FILE. */
const showHistory: Handler = (args, host, name) => {
  if (!arity(host, name, args, 1)) return false
  if (host.history === null) return warn(host, name, 'only in the interactive console (a script has no history)')
  const entries = host.history.all()
  if (args[0] === undefined) {
    if (entries.length > 0) host.printer.note(entries.join('\n'))
    return true
  }
  const path = expandTilde(args[0])
  try {
    writeFileSync(path, entries.map((e) => `${e}\n`).join(''), { mode: 0o600 })
  } catch (err) {
    return warn(host, name, `cannot write ${path}: ${fileProblem(err)}`)
  }
  host.printer.note(`Wrote history to file "${path}".`)
  return true
}

/** psql's \l: the list of databases, which on Acheron is the server's one (describe.ts). */
const listDatabasesHandler: Handler = async (args, host, name) => {
  if (!arity(host, name, args, 1)) return false
  try {
    await host.printer.listing(await listDatabases((sql) => host.session.query(sql), host.session.url))
    return true
  } catch (err) {
    const e = err instanceof AcheronError ? err : new AcheronError('INTERNAL', String(err))
    return warn(host, name, errorLine(e))
  }
}

/**
 * psql's \! [COMMAND]: COMMAND run by sh (the rest of the line as typed, variables not put in, as psql's),
 * or alone an interactive $SHELL (in the REPL only). Its exit code is in SHELL_EXIT_CODE, and SHELL_ERROR is
 * true or false, as psql 16 sets them; a command that fails is no failure of the script, as in psql.
 */
const shell: Handler = async (_args, host, name, raw) => {
  const command = raw.trim() === '' ? null : raw.trim()
  const terminal = host.printer.terminal
  if (command === null && terminal === null) return warn(host, name, 'a shell only in the interactive console (\\! COMMAND runs one command)')
  const run = (): ReturnType<typeof runShell> => runShell(command, process.env, host.printer.json)
  const outcome = await (terminal === null ? run() : terminal.handOver(run))
  if ('reason' in outcome) {
    host.session.variables.set('SHELL_EXIT_CODE', '-1')
    host.session.variables.set('SHELL_ERROR', 'true')
    return warn(host, name, `the command did not run to its end (${outcome.reason})`)
  }
  host.session.variables.set('SHELL_EXIT_CODE', String(outcome.code))
  host.session.variables.set('SHELL_ERROR', outcome.code === 0 ? 'false' : 'true')
  return true
}

/** psql's \set: NAME to its values joined (psql joins them without a blank); alone, lists the variables. */
const setVariable: Handler = (args, host, name) => {
  const variables = host.session.variables
  const [variable, ...values] = args
  if (variable === undefined) {
    const lines = variables.listing()
    host.printer.note(lines.length === 0 ? 'No variables are set.' : lines.join('\n'))
    return true
  }
  const problem = variables.set(variable, values.join(''))
  return problem === null ? true : warn(host, name, problem)
}

const unsetVariable: Handler = (args, host, name) => {
  if (!arity(host, name, args, 1, 1)) return false
  // psql says nothing of a name that was not set: \unset is how a script makes sure it is not.
  host.session.variables.unset(args[0] as string)
  return true
}

/** psql's \copy (copy.ts): rows from a file into a table, or a table's or query's rows to a file or stdout. */
const copy: Handler = async (_args, host, name, raw) => {
  let command
  try {
    command = parseCopy(interpolateMetaText(raw, host.session.variables.lookup))
  } catch (err) {
    return warn(host, name, (err as Error).message)
  }
  // With --json, stdout holds one JSON object a line, which a program reads: rows in CSV or text among
  // them would break it.
  if (host.printer.json && command.direction === 'to' && command.file === null) {
    return warn(host, name, 'with --json, stdout holds JSON lines only: copy to a file (\copy … to \'FILE\'), or SELECT for the rows as JSON')
  }
  // Its INSERTs and its query are transactions of their own, sent now, where psql's \copy is part of
  // the transaction: inside a held block its rows would commit before the block's statements, and a
  // ROLLBACK of the block would not undo them; its query would not see the block's writes.
  if (host.inBlock) {
    return warn(host, name, command.direction === 'from'
      ? 'not inside a BEGIN block: its rows would commit on their own, before the block, and ROLLBACK would not undo them (COMMIT or ROLLBACK first)'
      : 'not inside a BEGIN block: its query would run now, before the block, without its writes (COMMIT or ROLLBACK first)')
  }
  try {
    const tag = await runCopy(command, {
      query: (sql) => host.session.query(sql),
      execute: (sql, params) => host.session.execute(sql, params),
    }, process.cwd(), (text) => host.printer.data(text))
    host.printer.note(tag)
    return true
  } catch (err) {
    if (err instanceof CopyError) return warn(host, name, err.message)
    const e = err instanceof AcheronError ? err : new AcheronError('INTERNAL', String(err))
    return warn(host, name, errorLine(e))
  }
}

/**
 * \help and \h: all of it, or as psql's `\h NAME` the SQL summary's entries for NAME (`\h delete`,
 * `\h create index`); psql's line when none has it, which is no failure.
 */
const help: Handler = (args, host) => {
  if (args.length === 0) {
    host.printer.note(HELP)
    return true
  }
  const entries = sqlHelp(args.map((a) => a.replace(/;+$/, '')).filter((a) => a !== ''))
  host.printer.note(entries ?? `No help available for "${args.join(' ')}".\nTry \\h with no arguments to see available help.`)
  return true
}

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['\\q', (args, host, name) => arity(host, name, args, 0) && (host.quit(), true)],
  ['\\quit', (args, host, name) => arity(host, name, args, 0) && (host.quit(), true)],
  ['\\help', help],
  ['\\h', help],
  ['\\?', (_args, host) => (host.printer.note(HELP), true)],
  ['\\timing', timing],
  ['\\r', (args, host, name) => arity(host, name, args, 0) && (host.reset(), true)],
  ['\\reset', (args, host, name) => arity(host, name, args, 0) && (host.reset(), true)],
  ['\\x', expanded],
  ['\\t', tuplesOnly],
  ['\\a', toggleAlign],
  ['\\pset', pset],
  ['\\o', output],
  ['\\out', output],
  ['\\i', include],
  ['\\include', include],
  ['\\d', describe], ['\\d+', describe], ['\\dt', describe], ['\\dt+', describe], ['\\df', describe], ['\\df+', describe], ['\\di', describe],
  ['\\conninfo', conninfo],
  ['\\e', edit],
  ['\\edit', edit],
  ['\\watch', watch],
  ['\\logs', logs],
  ['\\echo', echo],
  ['\\qecho', queryEcho],
  ['\\g', send],
  ['\\gx', send],
  ['\\gset', gset],
  ['\\s', showHistory],
  ['\\l', listDatabasesHandler],
  ['\\list', listDatabasesHandler],
  ['\\!', shell],
  ['\\set', setVariable],
  ['\\unset', unsetVariable],
  ['\\copy', copy],
  ['\\if', conditional],
  ['\\elif', conditional],
  ['\\else', conditional],
  ['\\endif', conditional],
])

/** The meta-commands Tab completes (completion.ts), the long spellings left out. */
export const META_COMMAND_NAMES: readonly string[] = [
  '\\help', '\\timing', '\\r', '\\q', '\\x', '\\t', '\\a', '\\pset', '\\o', '\\i', '\\d', '\\d+', '\\dt', '\\dt+', '\\df', '\\df+', '\\di',
  '\\conninfo', '\\e', '\\watch', '\\logs', '\\echo', '\\qecho', '\\copy', '\\set', '\\unset', '\\g', '\\gx', '\\gset', '\\s', '\\l', '\\!',
  '\\if', '\\elif', '\\else', '\\endif',
]

function commandName(line: string): string {
  // \! takes the rest of the line as it is: `\!ls` is `\! ls`, as psql reads it.
  if (line.startsWith('\\!')) return '\\!'
  return /^\\\S*/.exec(line)?.[0] ?? line
}

/**
 * The line to run: for \d and its kin without the `;`s (and blanks) at its end, typed by habit as after
 * SQL (`\d account;`, `\dt;`), as psql drops them; `\d 'a;'` keeps its quoted one.
 */
export function metaLine(text: string): string {
  const trimmed = text.trim()
  const bare = trimmed.replace(/[;\s]+$/, '')
  return HANDLERS.get(commandName(bare)) === describe ? bare : trimmed
}

/** Runs one meta-command line; false when it was unknown or its arguments were bad (a warning says why). */
export async function runMeta(text: string, host: MetaHost): Promise<boolean> {
  const line = metaLine(text)
  const name = commandName(line)
  const handler = HANDLERS.get(name)
  if (handler === undefined) return warn(host, `unknown meta-command ${name}`, '\\help lists them')
  // \! takes its line as typed: a shell command's quotes are the shell's, not words of ours. The \if family
  // reads its expression itself, and only where psql evaluates it (not in a branch skipped).
  if (handler === shell || CONDITIONAL_COMMANDS.has(name)) return handler([], host, name, line.slice(name.length))
  const lookup = host.session.variables.lookup
  const args = metaWords(line.slice(name.length), lookup)
  if (args === null) return warn(host, name, 'a quote is not closed')
  return handler(args, host, name, line.slice(name.length))
}

/** Whether `name` (`\x`, `\dt+`) is a meta-command. */
export function isMetaCommand(name: string): boolean {
  return HANDLERS.has(name)
}
