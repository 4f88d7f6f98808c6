#!/usr/bin/env node
// Runs every compiled uvu suite (dist/test/**/*.test.js) and prints the closing line CI reads:
// "N passed, N failed". uvu prints no failed count and forces colour when piped, so each suite file runs
// in its own process with colour off, and the totals are parsed from its summary.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const testRoot = join(root, 'dist', 'test')
const filter = process.argv[2] ? new RegExp(process.argv[2]) : null

function findSuites(dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...findSuites(p))
    else if (name.endsWith('.test.js')) out.push(p)
  }
  return out
}

const suites = findSuites(testRoot).filter((p) => !filter || filter.test(relative(testRoot, p)))
let passed = 0
let failed = 0
let skipped = 0
const skipNotes = new Set()
let exitCode = 0
for (const file of suites) {
  const started = Date.now()
  const res = spawnSync(process.execPath, [file], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 20 * 60 * 1000,
  })
  const out = (res.stdout ?? '') + (res.stderr ?? '')
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN)
  const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN)
  const secs = ((Date.now() - started) / 1000).toFixed(1)
  const name = relative(testRoot, file)
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    // A suite that crashed before uvu's summary counts as one failure.
    failed += 1
    exitCode = 1
    process.stdout.write(`FAIL ${name} (no summary, exit ${res.status ?? res.signal}) ${secs}s\n${out}\n`)
    continue
  }
  passed += ok
  failed += total - ok
  const skips = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0)
  if (skips > 0) {
    skipped += skips
    for (const line of out.split('\n')) if (line.startsWith('SKIPPED: ')) skipNotes.add(line.slice('SKIPPED: '.length))
    skipNotes.add(`${name}: ${skips} skipped`)
  }
  if (res.status !== 0 || total !== ok) {
    exitCode = 1
    process.stdout.write(`FAIL ${name} ${ok}/${total} ${secs}s\n${out}\n`)
  } else {
    process.stdout.write(`ok   ${name} ${ok}/${total} ${secs}s\n`)
  }
}
if (suites.length === 0) {
  process.stdout.write('no test suites found\n')
  exitCode = 1
}
// Skipped tests are neither passed nor failed: said loudly, before the closing line CI reads.
if (skipped > 0) process.stdout.write(`\n${skipped} SKIPPED (not run, not counted as passed):\n${[...skipNotes].map((n) => `  ${n}`).join('\n')}\n\n`)
process.stdout.write(`${passed} passed, ${failed} failed\n`)
process.exit(exitCode)
