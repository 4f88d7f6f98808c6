import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { AcheronError } from '../errors.js'

/** An open() refused for its directory (DATA_DIR_UNUSABLE: it had no code), with the system's error as its cause. */
export function dataDirUnusable(message: string, cause?: unknown): AcheronError {
  const err = new AcheronError('DATA_DIR_UNUSABLE', message)
  if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause, configurable: true, writable: true })
  return err
}

/**
 * Creates `dir` and its missing parents, one at a time. Not `mkdirSync(dir, { recursive: true })`: on
 * Node 20 that loops forever at 100% CPU when the kernel refuses a directory whose parent exists
 * (`/proc/x`: ENOENT), where this throws the refusal.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = []
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.push(d)
    if (dirname(d) === d) break
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d)
    } catch (err) {
      // The bare refusal ("ENOENT: ..., mkdir '/proc/x'") named neither the data directory nor that it was being created.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw dataDirUnusable(`cannot create the data directory ${dir}: ${(err as Error).message}`, err)
    }
  }
}
