/**
 * A read-only look at a checkpoint file that leaves its directory as it found it. SQLite opening a WAL
 * database read-only creates its `-wal` and `-shm` files when they are not there, and a read-only
 * connection never removes them at close (only a writer does): a start refused after such a look (a
 * damaged checkpoint, a newer format) left two empty files behind, and its message said "nothing was
 * changed".
 */
import Database from 'better-sqlite3'
import { existsSync, rmSync, statSync } from 'node:fs'

/** Runs `read` on `file` opened read-only; removes the `-wal` and `-shm` the open made, once closed. */
export function readOnlyLook<T>(file: string, read: (db: Database.Database) => T): T {
  const wal = `${file}-wal`
  const shm = `${file}-shm`
  const walWasThere = existsSync(wal)
  const shmWasThere = existsSync(shm)
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true })
    try {
      return read(db)
    } finally {
      db.close()
    }
  } finally {
    // Only files this open made, and a WAL only while empty: one with frames is someone's writes (the
    // callers hold the directory's lock or run before any node, so none is expected).
    if (!walWasThere && existsSync(wal) && statSync(wal).size === 0) {
      rmSync(wal, { force: true })
      if (!shmWasThere) rmSync(shm, { force: true })
    }
  }
}
