// Where a module's syntax error is: Node 20's dynamic import() reports a SyntaxError from compiling an ES
// module without its file, line or column (only "Unexpected end of input"), so `--protocol` named no line.
import { spawnSync } from 'node:child_process'

/** How long `node --check` may take to find the line (it only parses the file). */
export const SYNTAX_CHECK_TIMEOUT_MS = 10_000

/** A location line as Node prints it above a source line and a caret: `/path/file.js:12` or `file:///…:12`. */
const LOCATION_LINE = /^(file:\/\/)?\/.*:\d+$/

/**
 * The lines that show where `err`, thrown importing `file`, is: `path:line`, the source line and a caret
 * under the token, as Node prints them; null when `err` is no SyntaxError or its place cannot be found.
 * A SyntaxError found while linking (an import of a name the other module does not export) carries them in
 * its stack; one found while compiling does not, and `node --check` parses the file again to find them.
 */
export function syntaxErrorWhere(err: unknown, file: string): string | null {
  if (!(err instanceof SyntaxError)) return null
  const located = (text: string): string | null => {
    const lines = text.split('\n')
    if (!LOCATION_LINE.test(lines[0] ?? '')) return null
    const end = lines.findIndex((l, i) => i > 0 && (l.trim() === '' || l.startsWith('SyntaxError')))
    return lines.slice(0, end < 0 ? 3 : end).join('\n')
  }
  const fromStack = located(err.stack ?? '')
  if (fromStack !== null) return fromStack
  // A .js file outside any package with a "type" is checked as CommonJS, where import() had detected an ES
  // module: checked again as a module, then.
  for (const flags of [[], ['--experimental-default-type=module']]) {
    const check = spawnSync(process.execPath, [...flags, '--check', file], { encoding: 'utf8', timeout: SYNTAX_CHECK_TIMEOUT_MS })
    const where = typeof check.stderr === 'string' ? located(check.stderr) : null
    if (where !== null) return where
  }
  return null
}
