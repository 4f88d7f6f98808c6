// What an operator gets from a bad `acheron serve` / `acheron demo` command line or environment: a message
// naming the option (or variable) and what is wrong with it, exit 2 for a command line that cannot run and
// 1 for a failure at run time, and the data directory not created or left as a clean stop leaves it.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { describeRun, runCli } from '../console/support.js'
import { tempDir } from '../support/tmp.js'

test('a --data that is a file, or whose lock file cannot be opened, is named (SQLite said only "unable to open database file")', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    for (const command of [['serve', '--port', '0'], ['verify'], ['demo', '--transfers', '1']]) {
      const args = [...command, '--data', file]
      const r = await runCli(args)
      assert.is(r.code, 1, describeRun(args, r))
      assert.is(r.stderr, `acheron: data directory ${file} is not a directory\n`, describeRun(args, r))
    }
    const data = join(dir, 'd')
    mkdirSync(join(data, 'acheron.lock'), { recursive: true })
    const args = ['serve', '--port', '0', '--data', data]
    const r = await runCli(args)
    assert.is(r.code, 1, describeRun(args, r))
    assert.match(r.stderr, new RegExp(`^acheron: cannot open the lock file ${join(data, 'acheron.lock').replace(/[.]/g, '\\.')} of the data directory: unable to open database file \\(is the directory writable by this user\\?\\)\n$`), describeRun(args, r))
  } finally {
    cleanup()
  }
})

test.run()
