// psql's expand_tilde: the file names of \i, \o and \copy may start with ~ for the home directory, as
// psql users write them (`\copy t from '~/data.csv'`); they were read as a directory named "~".
import { homedir } from 'node:os'
import { join } from 'node:path'

/** `~` and `~/…` in the home directory; any other path as it is (`~user` too: psql's rarely used form). */
export function expandTilde(path: string): string {
  if (path === '~') return homedir()
  if (path.startsWith('~/')) return join(homedir(), path.slice(2))
  return path
}
