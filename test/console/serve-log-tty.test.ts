// `acheron serve` on a terminal (tmux): its log lines are readable lines, not JSON.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tempDir } from '../support/tmp.js'
import { MAIN, Terminal, shellQuote } from './support.js'

test('acheron serve in a terminal logs readable lines: time, level, message, fields', async () => {
  const { dir, cleanup } = tempDir()
  const t = new Terminal(`node ${shellQuote(MAIN)} serve --data ${shellQuote(dir)} --port 0`, { NO_COLOR: '1' })
  try {
    const s = await t.waitForText(' listening  url=ws://')
    assert.match(s, /^\d\d:\d\d:\d\d\.\d{3} WARN  no token: listening on 127\.0\.0\.1 only/m, s)
    assert.match(s, /^\d\d:\d\d:\d\d\.\d{3} INFO  listening  url=ws:\/\/127\.0\.0\.1:\d+ console=http/m, s)
    assert.not.match(s, /\{"level"/, 'no JSON on a terminal')
    t.press('C-c')
    const stopped = await t.waitForText('[exited 0]')
    assert.match(stopped, /INFO  stopped/, stopped)
  } finally {
    t.kill()
    cleanup()
  }
})

test.run()
