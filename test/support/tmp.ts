import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Every directory tempDir made in this process: removed again at exit, so that a test that failed before
 * its cleanup (or an engine that wrote into its directory after it) leaves nothing in the temp directory.
 */
const made = new Set<string>()
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

/** A fresh temporary directory, removed by the returned cleanup, or at process exit at the latest. */
export function tempDir(prefix = 'acheron-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.add(dir)
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
