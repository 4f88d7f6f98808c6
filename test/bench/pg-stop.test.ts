// stopPgClusterSync (src/bench/pg-cluster.ts) SIGKILLs only a postmaster it could not stop. It killed the
// pid in postmaster.pid whenever that pid was alive, also after pg_ctl had stopped the server or found
// none: by then the pid may be another process's (a CI run's rustc, started right after a benchmark,
// died of a SIGKILL).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { stopPgClusterSync } from '../../src/bench/pg-cluster.js'

test('a postmaster.pid naming a process that is not PostgreSQL: the stop leaves that process alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-pg-stop-'))
  // Someone else's process, as a pid reused since the postmaster exited would be.
  const bystander = spawn('sleep', ['60'], { stdio: 'ignore' })
  try {
    mkdirSync(join(dir, 'data'))
    writeFileSync(join(dir, 'data', 'postmaster.pid'), `${bystander.pid}\n${join(dir, 'data')}\n`)
    stopPgClusterSync(dir)
    await new Promise((r) => setTimeout(r, 200))
    assert.is(bystander.exitCode, null, 'still running')
    assert.is(bystander.signalCode, null, `killed by ${String(bystander.signalCode)}`)
    assert.not.ok(existsSync(dir), 'the directory is deleted all the same')
  } finally {
    bystander.kill('SIGKILL')
  }
})

test.run()
