/**
 * One process per data directory. Two processes appending to one batch log would interleave their
 * entries and corrupt it, so opening a directory takes an exclusive lock on `acheron.lock` (an SQLite
 * file held in EXCLUSIVE locking mode: the operating system drops the lock when the process dies, even
 * by SIGKILL, so a crash never leaves a stale lock) and names the holder in `acheron.pid`. A second
 * opener — another process, or another open in this one — is refused with the holder's pid.
 */
import Database from 'better-sqlite3'
import { AcheronError } from '../errors.js'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const LOCK_FILE = 'acheron.lock'
export const PID_FILE = 'acheron.pid'

/** An AcheronError (code DATA_DIR_IN_USE) that also names the directory and its holder. */
export class DataDirInUseError extends AcheronError {
  constructor(readonly dir: string, readonly holder: string) {
    super('DATA_DIR_IN_USE', `data directory ${dir} is in use by ${holder}; stop it first (one process per data directory)`)
    this.name = 'DataDirInUseError'
  }
}

export class DirLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock of `dir` (which must exist), or throws DataDirInUseError naming the holder. */
  static acquire(dir: string): DirLock {
    const db = new Database(join(dir, LOCK_FILE), { timeout: 0 })
    try {
      db.pragma('locking_mode = EXCLUSIVE')
      // An exclusive transaction takes the lock without writing a page (so it is taken on a full disk
      // too); in EXCLUSIVE mode it is kept until the connection closes.
      db.exec('BEGIN EXCLUSIVE; COMMIT;')
    } catch (err) {
      db.close()
      if (err instanceof Database.SqliteError && /BUSY|LOCKED/.test(err.code)) throw new DataDirInUseError(dir, describeHolder(dir))
      throw err
    }
    // Who holds it, for the message a second opener gets: best effort, since a full disk must not keep
    // a restart from opening (nothing of the data depends on it).
    const started = new Date().toISOString()
    try {
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, started TEXT); DELETE FROM holder;')
      db.prepare('INSERT INTO holder VALUES (?, ?)').run(process.pid, started)
    } catch (err) {
      if (!(err instanceof Database.SqliteError && err.code === 'SQLITE_FULL')) { db.close(); throw err }
    }
    try {
      writeFileSync(join(dir, PID_FILE), `${process.pid}\n${started}\n`)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') { db.close(); throw err }
    }
    return new DirLock(db)
  }

  release(): void {
    if (this.db.open) this.db.close()
  }
}

function describeHolder(dir: string): string {
  try {
    const [pid, started] = readFileSync(join(dir, PID_FILE), 'utf8').split('\n')
    if (pid !== undefined && /^\d+$/.test(pid)) return `process ${pid}${started ? ` (since ${started})` : ''}${Number(pid) === process.pid ? ', this one' : ''}`
  } catch {
    // No pid file yet: the holder is still starting.
  }
  return 'another process'
}
