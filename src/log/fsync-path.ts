import { closeSync, fsyncSync, openSync } from 'node:fs'

/** Makes a file's bytes, or a directory's entries, durable (fsync of the path opened for reading). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
