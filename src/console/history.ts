// The REPL's history across runs: one entry per line of a file (~/.acheron_history, or $ACHERON_HISTORY;
// empty means none), oldest first, a statement typed over several lines kept as one entry with its line
// breaks written `\n` (and a backslash `\\`). Bounded: the newest HISTORY_ENTRIES_MAX entries are kept, and
// entries longer than HISTORY_ENTRY_CHARS_MAX (a pasted module in hex, say) stay out of the file.
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export const HISTORY_ENTRIES_MAX = 1000
export const HISTORY_ENTRY_CHARS_MAX = 64 * 1024

/** $ACHERON_HISTORY when set ('' turns the file off: null), else ~/.acheron_history. */
export function historyPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const p = env.ACHERON_HISTORY
  if (p !== undefined) return p === '' ? null : p
  return join(homedir(), '.acheron_history')
}

export function encodeEntry(entry: string): string {
  return entry.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n')
}

export function decodeEntry(line: string): string {
  return line.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'))
}

export class History {
  /** Oldest first, at most HISTORY_ENTRIES_MAX. */
  private readonly entries: string[]
  /** Lines in the file, as far as this process knows (the file is rewritten when it grows to twice the bound). */
  private fileLines: number

  constructor(private readonly path: string | null, private readonly warn: (message: string) => void = () => {}) {
    let lines: string[] = []
    if (path !== null) {
      try {
        lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn(`cannot read the history file ${path}: ${(err as Error).message}`)
      }
    }
    this.fileLines = lines.length
    this.entries = lines.slice(-HISTORY_ENTRIES_MAX).map(decodeEntry)
  }

  /** Oldest first (\s). */
  all(): readonly string[] {
    return [...this.entries]
  }

  /** Newest first, as readline wants them. */
  newestFirst(): string[] {
    return [...this.entries].reverse()
  }

  /** Records an entry (not when it repeats the newest one) and appends it to the file. */
  add(entry: string): void {
    if (entry.trim() === '' || this.entries[this.entries.length - 1] === entry) return
    this.entries.push(entry)
    if (this.entries.length > HISTORY_ENTRIES_MAX) this.entries.splice(0, this.entries.length - HISTORY_ENTRIES_MAX)
    if (this.path === null || entry.length > HISTORY_ENTRY_CHARS_MAX) return
    try {
      if (this.fileLines >= 2 * HISTORY_ENTRIES_MAX) {
        this.rewrite(this.path)
      } else {
        appendFileSync(this.path, encodeEntry(entry) + '\n', { mode: 0o600 })
        this.fileLines++
      }
    } catch (err) {
      this.warn(`cannot write the history file ${this.path}: ${(err as Error).message}`)
    }
  }

  /** The file cut down to the entries kept (other consoles' recent entries are lost: the file is a convenience). */
  private rewrite(path: string): void {
    const kept = this.entries.filter((e) => e.length <= HISTORY_ENTRY_CHARS_MAX)
    const tmp = `${path}.${process.pid}.tmp`
    writeFileSync(tmp, kept.map((e) => encodeEntry(e) + '\n').join(''), { mode: 0o600 })
    renameSync(tmp, path)
    this.fileLines = kept.length
  }
}
