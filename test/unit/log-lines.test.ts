// The server log on a terminal: readable lines; elsewhere (a pipe, a file, ACHERON_LOG_FORMAT=json): JSON.
import { spawn } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createLogger } from '../../src/server/logger.js'
import { readableDestination, readableLogLine } from '../../src/server/log-lines.js'
import { tempDir } from '../support/tmp.js'

test('a JSON log line becomes one readable line: time, level, message, then the other fields', () => {
  const line = '{"level":"warn","time":"2026-11-30T18:04:05.123Z","pid":7,"hostname":"h","msg":"connection refused","reason":"bad token","remote":"127.0.0.1:5","n":3,"detail":{"a":1}}'
  assert.is(readableLogLine(line, false), '18:04:05.123 WARN  connection refused  reason="bad token" remote=127.0.0.1:5 n=3 detail={"a":1}')
  assert.is(readableLogLine(line, true).slice(13, 27), '\x1b[33mWARN \x1b[0m')
  assert.is(readableLogLine('not json at all\n', false), 'not json at all', 'anything else is kept as it is')
})

test('a function\'s name (fn) or an engine part (source) that its message starts with is not said twice', () => {
  const fnLine = '{"level":"info","time":"2026-11-30T18:04:05.123Z","msg":"[account.transfer] moved 10","fn":"account.transfer"}'
  assert.is(readableLogLine(fnLine, false), '18:04:05.123 INFO  [account.transfer] moved 10')
  const engineLine = '{"level":"error","time":"2026-11-30T18:04:05.123Z","msg":"[engine] the engine stopped","source":"engine"}'
  assert.is(readableLogLine(engineLine, false), '18:04:05.123 ERROR [engine] the engine stopped')
  const other = '{"level":"info","time":"2026-11-30T18:04:05.123Z","msg":"listening","source":"engine"}'
  assert.is(readableLogLine(other, false), '18:04:05.123 INFO  listening  source=engine', 'a field the message does not start with is shown')
})

test('createLogger with a readable destination writes readable lines, with the level filter kept', () => {
  const out: string[] = []
  const log = createLogger({ destination: readableDestination({ write: (s: string) => out.push(s) }, false), level: 'info' })
  log({ level: 'info', msg: 'listening', port: 7878 })
  log({ level: 'debug', msg: 'not shown' })
  assert.is(out.length, 1)
  assert.match(out[0] as string, /^\d\d:\d\d:\d\d\.\d{3} INFO  listening {2}port=7878\n$/)
})

test('acheron serve logs JSON lines when stderr is not a terminal', async () => {
  const main = new URL('../../src/cli/main.js', import.meta.url).pathname
  // A server that starts and is stopped logs its start and its shutdown.
  const { dir, cleanup } = tempDir()
  const child = spawn(process.execPath, [main, 'serve', '--data', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let killed = false
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
    // Its "listening" log line comes once the signal handlers are in place. Once: a second SIGTERM
    // during the graceful stop ends the process at once, before its last line.
    if (!killed && stderr.includes('"msg":"listening"')) killed = child.kill('SIGTERM')
  })
  // 'close', not 'exit': the pipes may still hold the last lines when the process has exited.
  await new Promise((resolve) => child.on('close', resolve))
  cleanup()
  const lines = stderr.split('\n').filter((l) => l.trim() !== '')
  assert.ok(lines.length >= 3, `log lines: ${stderr} (stdout: ${stdout})`)
  for (const l of lines) assert.ok(typeof JSON.parse(l).msg === 'string', l)
})

test.run()
