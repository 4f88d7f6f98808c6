/**
 * One process per data directory. Two processes appending to one batch log would interleave their
 * entries and corrupt it, so opening a directory takes an exclusive lock on `acheron.lock` (an SQLite
 * file held in EXCLUSIVE locking mode: the operating system drops the lock when the process dies, even
 * by SIGKILL, so a crash never leaves a stale lock) and names the holder in `acheron.pid`. A second
 * opener — another process, or another open in this one — is refused with the holder's pid.
 *
 * `acheron.lock` itself stays, after a clean stop and after a failed open alike (a NATS log it could
 * not reach): only the OS lock on it is dropped. Removing the file would break the exclusion: an opener
 * that opened the file just before the unlink locks the removed inode once it is free, while the next
 * opener creates a new file and locks that one, and both would append to the log.
 */
import Database from 'better-sqlite3'
import { AcheronError } from '../errors.js'
import { dataDirUnusable } from './make-dir.js'
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
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
  /**
   * `uncleanStop`: the last holder did not stop cleanly (kill -9, a crash, a power loss): it left its
   * acheron.pid, which a clean stop removes. The open then checks the checkpoint's pages (quick_check).
   */
  private constructor(private readonly db: Database.Database, readonly dir: string, private readonly leftPidFile: string | null) {}

  /** Not yet released. */
  get held(): boolean {
    return this.db.open
  }

  get uncleanStop(): boolean {
    return this.leftPidFile !== null
  }

  /** Takes the lock of `dir` (which must exist), or throws DataDirInUseError naming the holder. */
  static acquire(dir: string): DirLock {
    // SQLite's own words for both were "unable to open database file", naming nothing.
    if (!statSync(dir).isDirectory()) throw dataDirUnusable(`data directory ${dir} is not a directory`)
    let db: Database.Database
    try {
      db = new Database(join(dir, LOCK_FILE), { timeout: 0 })
    } catch (err) {
      throw unwritable(dir, err)
    }
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
    // Read before this holder writes its own: only a holder that did not stop cleanly leaves one.
    let leftPidFile: string | null = null
    try {
      if (existsSync(join(dir, PID_FILE))) leftPidFile = readFileSync(join(dir, PID_FILE), 'utf8')
    } catch {
      leftPidFile = '' // there, but unreadable: unclean all the same
    }
    try {
      db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER, started TEXT); DELETE FROM holder;')
      db.prepare('INSERT INTO holder VALUES (?, ?)').run(process.pid, started)
    } catch (err) {
      if (!(err instanceof Database.SqliteError && err.code === 'SQLITE_FULL')) { db.close(); throw unwritable(dir, err) }
    }
    try {
      writeFileSync(join(dir, PID_FILE), `${process.pid}\n${started}\n`)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') { db.close(); throw err }
    }
    return new DirLock(db, dir, leftPidFile)
  }

  /**
   * Removes acheron.pid while the lock is still held (no other opener can have written it), then drops
   * the lock. A pid file left after a clean stop named a process that was gone, whose pid the system may
   * give to another: `kill $(head -1 DIR/acheron.pid)` would stop that one. Best effort, as the write.
   */
  /**
   * After an open that failed: the pid file an unclean stop left is put back as it was, so that the next
   * open checks the checkpoint's pages again. Before, the refused open removed it, and the next
   * `acheron serve` served the damaged file it had just refused.
   */
  releaseAfterFailedOpen(): void {
    if (!this.db.open) return
    if (this.leftPidFile === null) return this.release()
    try {
      writeFileSync(join(this.dir, PID_FILE), this.leftPidFile)
    } catch {
      // Best effort, as every write of it.
    }
    this.db.close()
  }

  release(): void {
    if (!this.db.open) return
    try {
      rmSync(join(this.dir, PID_FILE), { force: true })
    } catch {
      // A file the stop cannot remove (a read-only remount) names a process that is gone, as after kill -9.
    }
    this.db.close()
  }
}

/**
 * A lock file SQLite cannot open or write (a directory in its place, a data directory this user may not
 * write), said with the file: SQLite's own words ("unable to open database file", "attempt to write a
 * readonly database") named nothing. Other errors pass unchanged.
 */
function unwritable(dir: string, err: unknown): unknown {
  if (!(err instanceof Database.SqliteError && /^SQLITE_(CANTOPEN|READONLY)/.test(err.code))) return err
  return dataDirUnusable(`cannot open the lock file ${join(dir, LOCK_FILE)} of the data directory: ${err.message} (is the directory writable by this user?)`, err)
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
