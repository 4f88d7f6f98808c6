// Reading a script file (-f FILE, \i FILE) as a Source: bounded in size, FROM WASM FILE paths in it
// relative to its own directory.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Source } from './source.js'
import { fileProblem } from '../file-problem.js'

/** The largest -f file, \i file or piped stdin the console reads. */
export const SCRIPT_BYTES_MAX = 64 * 1024 * 1024

/** A file (or stdin) that cannot be read, or is too large. */
export class InputError extends Error {}

export function readBounded(path: string | 0, what: string): string {
  const bytes = readFileSync(path)
  if (bytes.byteLength > SCRIPT_BYTES_MAX) throw new InputError(`${what} is ${bytes.byteLength} bytes; the console reads at most ${SCRIPT_BYTES_MAX}`)
  const text = bytes.toString('utf8')
  // A UTF-8 byte order mark (editors on Windows write one) is no part of the script.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** `path` (relative to `cwd`) as a Source labelled with the path; InputError when it cannot be read. */
export function scriptSource(path: string, cwd: string): Source {
  let text: string
  try {
    text = readBounded(resolve(cwd, path), path)
  } catch (err) {
    if (err instanceof InputError) throw err
    throw new InputError(`cannot read ${path}: ${fileProblem(err)}`)
  }
  return { label: path, text, baseDir: dirname(resolve(cwd, path)) }
}
