// `acheron --help` and `acheron serve --help` name the same serve options, and those are the options
// serve takes: the top-level synopsis, written out by hand, had left out --log-batches-kept,
// --share-phase1 and --follower-reads (and the research options) that serve --help explained.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { describeRun, runCli } from '../console/support.js'
import { SERVE_OPTIONS, SERVE_UNDOCUMENTED_OPTIONS, SERVE_USAGE } from '../../src/cli/serve-usage.js'

const names = (text: string): string[] => [...new Set([...text.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string))].sort()

/** The options serve --help explains: the names in its option column (each line that starts with one). */
function explained(usage: string): string[] {
  return names(usage.split('\n').filter((l) => l.startsWith('  --')).map((l) => /^ {2}(--\S.*?)(?: {2,}|$)/.exec(l)?.[1] ?? '').join(' '))
}

/** The serve options in the top-level usage: its synopsis, from `  serve` to the line that says what serve does. */
function synopsis(usage: string): string[] {
  const lines = usage.split('\n')
  const start = lines.findIndex((l) => l.startsWith('  serve '))
  const end = lines.findIndex((l, i) => i > start && /^ {6}\S/.test(l))
  assert.ok(start >= 0 && end > start, usage)
  return names(lines.slice(start, end).join('\n'))
}

test('acheron --help names every option serve --help explains, and those are the options serve takes', async () => {
  const top = await runCli(['--help'])
  const serve = await runCli(['serve', '--help'])
  assert.is(top.code, 0, describeRun(['--help'], top))
  assert.is(serve.code, 0, describeRun(['serve', '--help'], serve))
  assert.is(serve.stdout, `${SERVE_USAGE}\n`)
  const taken = Object.keys(SERVE_OPTIONS).filter((n) => !(SERVE_UNDOCUMENTED_OPTIONS as readonly string[]).includes(n)).sort()
  assert.equal(explained(serve.stdout), taken, 'serve --help explains each option serve takes')
  assert.equal(synopsis(top.stdout), taken, 'acheron --help names each option serve takes')
})

test.run()
