#!/usr/bin/env node
// Runs every compiled uvu suite (dist/test/**/*.test.js) and prints the closing line CI reads:
// "N passed, N failed". uvu prints no failed count and forces colour when piped, so each suite file runs
// in its own process with colour off, and the totals are parsed from its summary.
//
// Each suite runs in a process group of its own. What it started and did not stop (a NATS server or an
// `acheron serve` node, when the suite was killed at its timeout or crashed: a SIGTERM or SIGKILL runs no
// exit handler of the suite's) is killed with the group when the suite ends, and named, so that one
// suite's leftovers neither outlive the run nor hold ports and cores under the next suite.
import { spawn, execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
// ACHERON_TEST_ROOT and ACHERON_SUITE_TIMEOUT_MS exist for the runner's own test (test/unit/run-tests.test.ts).
const testRoot = process.env.ACHERON_TEST_ROOT ?? join(root, 'dist', 'test')
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

const SUITE_TIMEOUT_MS = Number(process.env.ACHERON_SUITE_TIMEOUT_MS ?? 20 * 60 * 1000)
const OUTPUT_MAX = 64 * 1024 * 1024

/** The processes left in process group `pgid` (the suite's leader gone; zombies hold nothing): "pid command" lines. */
function leftInGroup(pgid) {
  let table = ''
  try {
    table = execFileSync('ps', ['-e', '-o', 'pgid=,pid=,stat=,args='], { encoding: 'utf8' })
  } catch {
    return []
  }
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => Number(f[0]) === pgid && Number(f[1]) !== pgid && !(f[2] ?? '').startsWith('Z'))
    .map((f) => `${f[1]} ${f.slice(3).join(' ').slice(0, 120)}`)
}

let running = null // the suite running now: its process group is killed if the runner is interrupted

/** Kills process group `pgid` with `signal`; false when no process is left in it. */
function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

// The suite is in a group of its own, so a Ctrl-C in the terminal reaches only the runner: pass it on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (running !== null) killGroup(running, 'SIGKILL')
    process.stdout.write(`\n${signal}: the test run was stopped\n`)
    process.exit(1)
  })
}

/** Runs one suite file as the leader of its own process group; kills the group once the suite is over. */
function runSuite(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    running = child.pid
    let out = ''
    const take = (chunk) => {
      if (out.length < OUTPUT_MAX) out += chunk
    }
    child.stdout.setEncoding('utf8').on('data', take)
    child.stderr.setEncoding('utf8').on('data', take)
    let timedOut = false
    // At the timeout the group is asked to stop (SIGTERM), and killed 5 s later if it has not.
    let escalation = null
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child.pid, 'SIGTERM')
      escalation = setTimeout(() => killGroup(child.pid, 'SIGKILL'), Math.min(5000, SUITE_TIMEOUT_MS))
    }, SUITE_TIMEOUT_MS)
    let left = []
    let ended = null
    const finish = () => {
      if (running === null) return // already finished (the grace ran out, then the pipes closed)
      running = null
      if (timedOut) out += `\nkilled after ${SUITE_TIMEOUT_MS / 60000} min\n`
      resolve({ ...ended, out, left })
    }
    // 'exit', not 'close': a leftover that inherited the suite's stdout would hold the pipe open. Once the
    // group is killed the pipes close; a grandchild of another group holding them is given a second.
    child.on('exit', (status, signal) => {
      clearTimeout(timer)
      clearTimeout(escalation)
      ended = { status, signal }
      left = leftInGroup(child.pid)
      killGroup(child.pid, 'SIGKILL')
      const grace = setTimeout(finish, 1000)
      child.on('close', () => {
        clearTimeout(grace)
        finish()
      })
    })
  })
}

const suites = findSuites(testRoot).filter((p) => !filter || filter.test(relative(testRoot, p)))
let passed = 0
let failed = 0
let skipped = 0
const skipNotes = new Set()
let exitCode = 0
for (const file of suites) {
  const started = Date.now()
  const res = await runSuite(file)
  if (res.left.length > 0) {
    process.stdout.write(`${relative(testRoot, file)} left ${res.left.length} process(es) running, killed now:\n${res.left.map((l) => `  ${l}`).join('\n')}\n`)
  }
  const out = res.out
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
