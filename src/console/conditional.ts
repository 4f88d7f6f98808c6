// psql's conditional blocks: \if EXPR, \elif EXPR, \else, \endif. A stack of the open blocks, each in one of
// psql's states (its conditional.h); what is inside a branch that is not taken is skipped by the REPL and
// the script runner (not run, not interpolated), all but the \if family itself, which keeps the nesting.

/** The meta-commands that open, switch and close a block: read even in a branch that is skipped. */
export const CONDITIONAL_COMMANDS: ReadonlySet<string> = new Set(['\\if', '\\elif', '\\else', '\\endif'])

/** Whether the meta-command line `line` (`\if :x`, `\endif`) is one of the \if family. */
export function isConditionalLine(line: string): boolean {
  return CONDITIONAL_COMMANDS.has(/^\\\S*/.exec(line.trim())?.[0] ?? '')
}

/**
 * psql's ParseVariableBool: true/false, yes/no (any unique prefix: `t`, `n`), on/off (at least `on`, `of`:
 * `o` is both), 1/0, in any case; null for anything else.
 */
export function parseBoolean(value: string): boolean | null {
  const v = value.toLowerCase()
  const prefixOf = (word: string, min = 1): boolean => v.length >= min && word.startsWith(v)
  if (prefixOf('true')) return true
  if (prefixOf('false')) return false
  if (prefixOf('yes')) return true
  if (prefixOf('no')) return false
  if (prefixOf('on', 2)) return true
  if (prefixOf('off', 2)) return false
  if (v === '1') return true
  if (v === '0') return false
  return null
}

/** psql's words for a value that is not a boolean. */
export function notBooleanMessage(value: string, what: string): string {
  return `unrecognized value "${value}" for "${what}": Boolean expected`
}

/**
 * A block's state, as psql's: `true` (in its branch taken), `false` (in a branch not taken; a later \elif or
 * \else may be), `ignored` (a branch was taken already, or the whole block is inside a skipped branch), and
 * after \else `else-true` / `else-false`.
 */
type BlockState = 'true' | 'false' | 'ignored' | 'else-true' | 'else-false'

export class ConditionalStack {
  private readonly blocks: BlockState[] = []

  /** How many blocks are open. */
  get depth(): number {
    return this.blocks.length
  }

  /** Whether what comes now runs: outside every block, or in a branch taken. */
  get active(): boolean {
    const top = this.blocks[this.blocks.length - 1]
    return top === undefined || top === 'true' || top === 'else-true'
  }

  /**
   * \if: `evaluate` is called only when the block is in a running branch (its expression is then read);
   * null from it (not a boolean) opens the block as false, as psql does after its error.
   */
  openIf(evaluate: () => boolean | null): void {
    if (!this.active) {
      this.blocks.push('ignored')
      return
    }
    this.blocks.push(evaluate() === true ? 'true' : 'false')
  }

  /** \elif: `evaluate` only when no branch was taken yet; a message when there is no block or it is after \else. */
  elif(evaluate: () => boolean | null): string | null {
    const top = this.blocks[this.blocks.length - 1]
    if (top === undefined) return 'no matching \\if'
    if (top === 'else-true' || top === 'else-false') return 'cannot occur after \\else'
    if (top === 'true') this.blocks[this.blocks.length - 1] = 'ignored'
    else if (top === 'false') this.blocks[this.blocks.length - 1] = evaluate() === true ? 'true' : 'false'
    return null
  }

  /** \else: taken when no branch was; a message when there is no block or it has had its \else. */
  otherwise(): string | null {
    const top = this.blocks[this.blocks.length - 1]
    if (top === undefined) return 'no matching \\if'
    if (top === 'else-true' || top === 'else-false') return 'cannot occur after \\else'
    this.blocks[this.blocks.length - 1] = top === 'false' ? 'else-true' : 'else-false'
    return null
  }

  /** \endif: a message when there is no block. */
  endif(): string | null {
    if (this.blocks.length === 0) return 'no matching \\if'
    this.blocks.pop()
    return null
  }
}
