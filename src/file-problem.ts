/**
 * A failed file operation in words, as psql and sqlite3 say it ("no such file or directory"), instead of
 * Node's message ("ENOENT: no such file or directory, open '/x/y.sql'"), which repeats the path its
 * caller already names and leads with a code users need not know.
 */
export function fileProblem(err: unknown): string {
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case 'ENOENT': return 'no such file or directory'
    case 'EACCES': case 'EPERM': return 'permission denied'
    case 'EISDIR': return 'it is a directory'
    case 'ENOTDIR': return 'a part of the path is not a directory'
    case 'ENOSPC': return 'no space left on the device'
    case 'EROFS': return 'the file system is read-only'
    case 'ENAMETOOLONG': return 'the path is too long'
    default: return err instanceof Error ? err.message : String(err)
  }
}
