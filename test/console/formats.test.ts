// The output formats of \pset format and \x (src/console/format-*.ts, render.ts): CSV quoting per RFC 4180,
// Markdown escaping, the expanded layout, the NULL text, and which layout \x auto picks.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { defaultDisplay, type DisplaySettings } from '../../src/console/display.js'
import { csvField, formatCsv, formatUnaligned, plainText } from '../../src/console/format-delimited.js'
import { formatExpanded } from '../../src/console/format-expanded.js'
import { gridJson } from '../../src/console/format-json.js'
import { formatMarkdown, markdownCell } from '../../src/console/format-markdown.js'
import { formatTable } from '../../src/console/format-table.js'
import { renderListing, renderResult } from '../../src/console/render.js'
import { Printer } from '../../src/console/printer.js'
import { realText } from '../../src/result-types.js'
import { logDisplayLines } from '../../src/console/with-logs.js'

const commit = { batch: 7, seq: 2 }
const settings = (over: Partial<DisplaySettings>): DisplaySettings => ({ ...defaultDisplay(false), ...over })

test('CSV: a field with a comma, a quote, CR or LF is quoted and its quotes doubled; others are bare', () => {
  assert.is(csvField('plain'), 'plain')
  assert.is(csvField('a,b'), '"a,b"')
  assert.is(csvField('say "hi"'), '"say ""hi"""')
  assert.is(csvField('two\nlines'), '"two\nlines"')
  assert.is(csvField('cr\r'), '"cr\r"')
  assert.is(csvField(''), '')
  assert.equal(formatCsv({ columns: ['id', 'note, more'], rows: [['a', 'x,"y"'], ['b', null], [3n, new Uint8Array([0, 255])]] }, ''), [
    'id,"note, more"',
    'a,"x,""y"""',
    'b,',
    "3,X'00ff'",
  ])
  // Values are whole: not cut at 400 characters, a newline stays a newline (inside quotes).
  const long = 'x'.repeat(1000)
  assert.equal(formatCsv({ columns: ['t'], rows: [[long], ['a\nb']] }, ''), ['t', long, '"a\nb"'])
  assert.is(plainText(null, 'NULL'), 'NULL')
})

test('CSV: NULL is an empty field and the empty string "" (as COPY … CSV), apart from the text \'NULL\'; \\pset null replaces it', () => {
  const g = { columns: ['v'], rows: [['NULL'], [null], [''], ['x'], [undefined]] }
  assert.equal(formatCsv(g), ['v', 'NULL', '', '""', 'x', ''])
  assert.equal(formatCsv(g, '(null)'), ['v', 'NULL', '(null)', '""', 'x', '(null)'])
  assert.equal(formatCsv(g, 'a,b').slice(2, 4), ['"a,b"', '""'])
  // Through the settings \pset keeps: unset at start, then set (to NULL itself, as a script may).
  const r = { ...g, rowsAffected: 0, commit }
  assert.equal(renderResult(r, '', settings({ format: 'csv' }), null), ['v', 'NULL', '', '""', 'x', ''])
  assert.equal(renderResult(r, '', settings({ format: 'csv', nullText: 'NULL' }), null), ['v', 'NULL', 'NULL', '""', 'x', 'NULL'])
  // The other formats keep NULL_TEXT_DEFAULT until \pset null.
  assert.equal(renderResult(r, '', settings({ format: 'unaligned' }), null).slice(1, 4), ['NULL', 'NULL', ''])
})

test('on a terminal with colour the NULL marker is dimmed, so a NULL is told from the text \'NULL\'; columns stay aligned', async () => {
  const r = { columns: ['v', 'n'], rows: [['NULL', 1], [null, null], ['longer text', 22]], rowsAffected: 0, commit, types: ['TEXT', 'INTEGER'] as ('TEXT' | 'INTEGER')[] }
  const dimmed = '\x1b[2mNULL\x1b[22m'
  const aligned = renderResult(r, '', settings({}), 80, true)
  assert.equal(aligned.slice(0, 5), [
    '      v      |  n',
    '-------------+------',
    ' NULL        |    1',
    ` ${dimmed}        | ${dimmed}`,
    ' longer text |   22',
  ])
  // Expanded records too; the values as they were, the marker dimmed.
  assert.equal(renderResult(r, '', settings({ expanded: 'on' }), 80, true).slice(3, 6), ['-[ RECORD 2 ]--', `v | ${dimmed}`, `n | ${dimmed}`])
  // The other formats are data, and a \pset null text is the user's own marker: plain.
  for (const format of ['csv', 'unaligned', 'markdown', 'json'] as const) {
    assert.not.match(renderResult(r, '', settings({ format }), 80, true).join('\n'), /\x1b/, format)
  }
  assert.not.match(renderResult(r, '', settings({ nullText: '(null)' }), 80, true).join('\n'), /\x1b/)
  // Through the printer: only on a terminal, and never with NO_COLOR.
  const capture = (terminal: boolean, env: NodeJS.ProcessEnv): Promise<string> => {
    let out = ''
    const p = new Printer({ out: (s) => { out += s }, err: () => {} }, false, env)
    if (terminal) p.terminal = { size: () => ({ columns: 80, rows: 50 }), handOver: (f) => f() }
    return p.results([r]).then(() => out)
  }
  assert.ok((await capture(true, {})).includes(` ${dimmed}        | ${dimmed}\n`))
  assert.ok((await capture(true, { NO_COLOR: '1' })).includes(' NULL        | NULL\n'))
  assert.ok((await capture(false, {})).includes(' NULL        | NULL\n'))
})

test('Markdown: pipes and backslashes escaped, numbers right-aligned, NULL as set', () => {
  assert.is(markdownCell('a|b\\c'), 'a\\|b\\\\c')
  assert.equal(formatMarkdown({ columns: ['id', 'n'], rows: [['x|y', 1], ['line\nbreak', null]] }, '∅'), [
    '| id | n |',
    '| --- | ---: |',
    '| x\\|y | 1 |',
    '| line<br>break | ∅ |',
  ])
})

test('Markdown: a line break and a typed backslash-n stay apart (<br> and \\\\n), as do a tab and <br> typed; source and rendered', () => {
  assert.equal(formatMarkdown({ columns: ['v'], rows: [['a\nb'], ['a\\nb'], ['a<br>b'], ['t\tab & \r\u0001']] }).slice(2), [
    '| a<br>b |',
    '| a\\\\nb |',
    '| a&lt;br>b |',
    '| t&#x9;ab &amp; &#xD;&#x1; |',
  ])
  assert.is(markdownCell('a|b\n\\'), 'a\\|b<br>\\\\')
  // TEXT is cut as in the aligned table, counted in its own characters (not in their escapes).
  assert.is(formatMarkdown({ columns: ['v'], rows: [['\n'.repeat(500)]] })[2], `| ${'<br>'.repeat(400)}… |`)
})

test('Markdown escapes bidi and format characters as the aligned table does, as character references; csv, unaligned and json keep them exact', () => {
  const g = { columns: ['v\u2066'], rows: [['\u202etxt.exe\u200f\u0085']] }
  assert.equal(formatMarkdown(g), ['| v&#x2066; |', '| --- |', '| &#x202E;txt.exe&#x200F;&#x85; |'])
  assert.is(markdownCell('👩\u200d💻'), '👩\u200d💻')
  // Data for programs: the values as they are.
  assert.equal(formatCsv(g), ['v\u2066', '\u202etxt.exe\u200f\u0085'])
  assert.equal(formatUnaligned(g), ['v\u2066', '\u202etxt.exe\u200f\u0085'])
  assert.equal(JSON.parse(gridJson(g)).rows, [['\u202etxt.exe\u200f\u0085']])
})

test('function log lines escape control and bidi characters as cells do', () => {
  assert.equal(logDisplayLines(['a\nb \u202eexe.txt \u001b[31m'], false), ['log: a\\nb \\u202eexe.txt \\x1b[31m'])
})

test('expanded: a -[ RECORD n ]- line as wide as the widest name | value, names padded, NULL as set', () => {
  assert.equal(formatExpanded({ columns: ['id', 'balance'], rows: [['alice', 100], ['bob', null]] }, '(null)'), [
    '-[ RECORD 1 ]---',
    'id      | alice',
    'balance | 100',
    '-[ RECORD 2 ]---',
    'id      | bob',
    'balance | (null)',
  ])
  assert.equal(formatExpanded({ columns: ['a'], rows: [] }), [])
})

test('NULL display: the aligned table writes NULL as \\pset null says', () => {
  const r = { columns: ['k', 'v'], rows: [[1, null]], rowsAffected: 0, commit }
  assert.equal(formatTable(r, '', '(null)').slice(2, 3), [' 1 | (null)'])
  assert.equal(formatTable(r, '', '').slice(2, 3), [' 1 |'])
  assert.equal(formatUnaligned(r, ''), ['k|v', '1|'])
})

test('render: \\x on, auto by the terminal width, and every format', () => {
  const r = { columns: ['id', 'note'], rows: [['a', 'y'.repeat(50)]], rowsAffected: 0, commit }
  const foot = '(1 row)  commit {batch: 7, seq: 2}'
  assert.is(renderResult(r, '', settings({ expanded: 'off' }), 20)[0], ` id | ${' '.repeat(23)}note`)
  assert.equal(renderResult(r, '', settings({ expanded: 'on' }), 200).slice(0, 1), ['-[ RECORD 1 ]' + '-'.repeat(4 + 3 + 50 - 13)])
  // auto: the aligned table is 57 columns wide (its separator line).
  assert.match(renderResult(r, '', settings({ expanded: 'auto' }), 56)[0] as string, /^-\[ RECORD 1 \]/)
  assert.match(renderResult(r, '', settings({ expanded: 'auto' }), 57)[0] as string, /^ id \|/)
  assert.match(renderResult(r, '', settings({ expanded: 'auto' }), null)[0] as string, /^ id \|/)
  assert.is(renderResult(r, '', settings({ format: 'csv' }), null).join('\n'), `id,note\na,${'y'.repeat(50)}`)
  assert.equal(renderResult(r, '', settings({ format: 'unaligned' }), null), ['id|note', `a|${'y'.repeat(50)}`, foot])
  assert.equal(JSON.parse(renderResult({ ...r, rows: [[2n ** 60n, null]] }, '', settings({ format: 'json' }), null)[0] as string),
    { columns: ['id', 'note'], rows: [[{ $int: '1152921504606846976' }, null]], rowsAffected: 0, commit })
  assert.equal(renderResult({ columns: [], rows: [], rowsAffected: 2, commit }, 'INSERT', settings({ format: 'csv' }), null), ['INSERT: 2 rows affected  commit {batch: 7, seq: 2}'])
  // A listing's title sits above the aligned form only; its footer under aligned and unaligned.
  const listing = { title: 'Tables', grid: { columns: ['name'], rows: [['t']] }, footer: '(1 row)' }
  assert.equal(renderListing(listing, settings({}), null), ['Tables', ' name', '------', ' t', '(1 row)'])
  assert.equal(renderListing(listing, settings({ format: 'csv' }), null), ['name', 't'])
  assert.equal(renderListing(listing, settings({ format: 'markdown' }), null), ['| name |', '| --- |', '| t |'])
})

test("\\t (psql's tuples only): the rows without column names, title and footer, in aligned (as wide as the values), unaligned, csv and \\x", () => {
  const r = { columns: ['name', 'n'], rows: [['a', 1n], ['bb', null]], rowsAffected: 0, commit }
  const only = (over: Partial<DisplaySettings>): string[] => renderResult(r, '', settings({ tuplesOnly: true, ...over }), null)
  assert.equal(only({}), [' a  |    1', ' bb | NULL'])
  assert.equal(only({ format: 'unaligned' }), ['a|1', 'bb|NULL'])
  assert.equal(only({ format: 'csv' }), ['a,1', 'bb,'])
  assert.equal(only({ expanded: 'on' }), ['name | a', 'n    | 1', '', 'name | bb', 'n    | NULL'])
  // JSON stays the result object; a statement without columns keeps its line, as psql keeps a command's tag.
  assert.equal(JSON.parse(only({ format: 'json' })[0] as string).columns, ['name', 'n'])
  assert.equal(renderResult({ columns: [], rows: [], rowsAffected: 1, commit }, 'INSERT', settings({ tuplesOnly: true }), null), ['INSERT: 1 row affected  commit {batch: 7, seq: 2}'])
  const listing = { title: 'Tables', grid: { columns: ['name'], rows: [['t']] }, footer: '(1 row)' }
  assert.equal(renderListing(listing, settings({ tuplesOnly: true }), null), [' t'])
  assert.equal(defaultDisplay(false, { unaligned: true, tuplesOnly: true }).format, 'unaligned')
  assert.equal(defaultDisplay(true, { unaligned: true, tuplesOnly: true }), defaultDisplay(true))
})

test('a REAL -0 keeps its sign in a column of mixed types, in every format (a -0 is a REAL: no INTEGER has a signed zero)', async () => {
  const g = { columns: ['v'], rows: [[-0], ['a'], [2]], types: [null] }
  assert.equal(formatTable({ ...g, rowsAffected: 0, commit: { batch: 1, seq: 0 } }).slice(2, 5), [' -0.0', ' a', ' 2'])
  assert.equal(formatExpanded(g, 'NULL').filter((l) => l.startsWith('v ')), ['v | -0.0', 'v | a', 'v | 2'])
  assert.equal(formatCsv(g), ['v', '-0.0', 'a', '2'])
  assert.equal(formatUnaligned(g).slice(1, 4), ['-0.0', 'a', '2'])
  assert.ok(formatMarkdown(g).includes('| -0.0 |'), formatMarkdown(g).join('\n'))
  assert.is(gridJson(g), '{"columns":["v"],"rows":[[-0.0],["a"],[2]],"types":[null]}')
  // The browser console's copies (static/console/src), which the page runs.
  const page = (f: string): string => new URL(`../../../static/console/src/${f}`, import.meta.url).href
  const { valueText } = await import(page('wire-values.js')) as { valueText: (v: unknown, type?: string | null) => string }
  const { toCsv, toJson } = await import(page('export.js')) as { toCsv: (c: string[], r: unknown[][], t?: unknown[]) => string; toJson: (r: unknown) => string }
  assert.is(valueText(-0, null), '-0.0')
  assert.is(valueText(-0, undefined), '-0.0')
  assert.is(toCsv(['v'], [[-0], ['a']], [null]), 'v\r\n-0.0\r\na\r\n')
  assert.match(toJson({ columns: ['v'], rows: [[-0], ['a']], rowsAffected: 0, commit: null, types: [null] }), /\[-0\.0\],\n {2}\["a"\]/)
})

test("the browser console's copy of realText writes every REAL as the terminal's does", async () => {
  const page = new URL('../../../static/console/src/wire-values.js', import.meta.url).href
  const { realText: pageRealText } = await import(page) as { realText: (v: number) => string }
  const values = [0, -0, 1, -3, 2.5, 0.1 + 0.2, 1e-7, -1e-300, 2.5e-10, 5e-324, 1e15, -1e15 + 1, 1e20, 1.5e300, 1.7976931348623157e308, Infinity, -Infinity]
  for (let i = 0; i < 200; i++) values.push(Math.sin(i) * 10 ** ((i % 40) - 20))
  for (const v of values) assert.is(pageRealText(v), realText(v), String(v))
})

test.run()
