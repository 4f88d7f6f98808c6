// node:util parseArgs keeps the last of an option given twice: `acheron check --mutant skip-ww-check
// --mutant double-apply` ran double-apply alone, saying nothing of the first.
import { UsageError } from './usage-error.js'

/** Refuses a value-taking option given more than once, unless it is declared `multiple`. */
export function refuseRepeatedOptions(
  tokens: readonly { kind: string; name?: string; value?: string | undefined }[],
  options: Readonly<Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>>,
): void {
  const given = new Map<string, string>()
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined) continue
    const o = options[t.name]
    if (o === undefined || o.type !== 'string' || o.multiple === true) continue
    const before = given.get(t.name)
    if (before !== undefined) throw new UsageError(`--${t.name} was given twice (${before} and ${t.value ?? ''}): give it once`)
    given.set(t.name, t.value ?? '')
  }
}
