// Tab on the file name of \i, \o, \s, \g, \gx, or a \copy's 'FILE': the names in its directory, as psql
// completes them (SQL keywords there were noise). A directory gets its `/`, so Tab goes on into it.
import { readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { expandTilde } from './tilde.js'

/** An entry of a directory: its name, and whether it is one itself. */
export interface DirEntry {
  readonly name: string
  readonly dir: boolean
}

/** The entries of directory `path` (absolute); none when it cannot be read. */
export type ListDir = (path: string) => readonly DirEntry[]

/**
 * A file name being typed after a meta-command that takes one, at the line's start or after a statement
 * (`SELECT 1 \g out.txt`); not a `|command`, not a quoted name.
 */
const FILE_ARGUMENT = /(?:^|\s)\\(?:i|o|s|gx?)\s+([^\s'|]\S*)?$/
/** A \copy's file, in quotes after `from` or `to` (where psql takes it). */
const COPY_FILE = /^\s*\\copy\s.*\s(?:from|to)\s+'([^']*)$/i

/**
 * The file names completing the argument at the end of `line` (paths relative to `baseDir`, `~/` in the home
 * directory), and the text they complete; null when the line ends in no file argument. Hidden files only
 * when a `.` was typed, as shells offer them.
 */
export function fileCandidates(line: string, baseDir: string, list: ListDir): [string[], string] | null {
  const typed = FILE_ARGUMENT.exec(line)?.[1] ?? COPY_FILE.exec(line)?.[1] ?? (FILE_ARGUMENT.test(line) ? '' : null)
  if (typed === null) return null
  const slash = typed.lastIndexOf('/')
  const dirPart = typed.slice(0, slash + 1)
  const base = typed.slice(slash + 1)
  const dir = resolve(baseDir, dirPart === '' ? '.' : expandTilde(dirPart))
  const names = list(dir)
    .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
    .map((e) => `${dirPart}${e.name}${e.dir ? '/' : ''}`)
    .sort()
  return [names, typed]
}

/** The ListDir of the file system. */
export const listDir: ListDir = (path) => {
  try {
    return readdirSync(path, { withFileTypes: true }).map((e) => ({ name: e.name, dir: e.isDirectory() }))
  } catch {
    return []
  }
}
