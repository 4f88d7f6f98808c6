// \e: a text in the user's editor ($VISUAL, else $EDITOR, else vi, run by the shell so it may carry
// options), through a temporary file that is removed afterwards.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const DEFAULT_EDITOR = 'vi'

export function editorCommand(env: NodeJS.ProcessEnv): string {
  for (const v of [env.VISUAL, env.EDITOR]) if (v !== undefined && v.trim() !== '') return v
  return DEFAULT_EDITOR
}

/** `text` as the editor left it, or why there is nothing (the editor failed or could not start). */
export async function editText(text: string, command: string): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-edit-'))
  const file = join(dir, 'statement.sql')
  try {
    writeFileSync(file, text === '' || text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600 })
    // "$1" keeps a path with blanks one word; the command itself is the user's shell words.
    const child = spawn('sh', ['-c', `${command} "$1"`, 'sh', file], { stdio: 'inherit' })
    const code = await new Promise<number | string>((resolve) => {
      child.on('error', (err) => resolve(err.message))
      child.on('close', (c, signal) => resolve(c ?? `killed by ${signal ?? 'a signal'}`))
    })
    if (code !== 0) return { ok: false, reason: typeof code === 'string' ? `${command}: ${code}` : `${command} exited with ${code}` }
    return { ok: true, text: readFileSync(file, 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
