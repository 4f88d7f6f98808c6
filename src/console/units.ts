// Statements → units, one request each. A statement is its own unit, so the first failure stops a script
// before the next statement is sent; but BEGIN; ...; COMMIT; is one transaction that the contract says is
// "sent together" (CONTRACT.md §3), so a BEGIN opens a unit that its COMMIT closes, and a ROLLBACK drops it
// unsent.
import type { SourceStatement } from './source.js'

export interface Unit {
  readonly statements: readonly SourceStatement[]
  /**
   * A ROLLBACK: nothing is sent (a BEGIN block reaches the server only at its COMMIT, so there is nothing
   * to undo there); `dropped` is how many held statements it discarded, its BEGIN included, null when no
   * block was open.
   */
  readonly rollback?: { readonly dropped: number | null }
}

export class UnitGrouper {
  private block: SourceStatement[] | null = null

  /** True between a BEGIN and its COMMIT. */
  get inBlock(): boolean {
    return this.block !== null
  }

  /** The next statement in order → the units it completes (none while a BEGIN block is open). */
  push(s: SourceStatement): Unit[] {
    const verb = transactionVerb(s.verb)
    if (verb === 'ROLLBACK') {
      const dropped = this.block === null ? null : this.block.length
      this.block = null
      return [{ statements: [s], rollback: { dropped } }]
    }
    if (this.block !== null) {
      this.block.push(s)
      if (verb !== 'COMMIT') return []
      const unit = { statements: this.block }
      this.block = null
      return [unit]
    }
    if (verb === 'BEGIN') {
      this.block = [s]
      return []
    }
    return [{ statements: [s] }]
  }

  /**
   * The end of the input: a BEGIN block still open becomes a unit as it is, so that the server refuses it
   * with its own message ("BEGIN without COMMIT").
   */
  flush(): Unit[] {
    const block = this.block
    this.block = null
    return block === null ? [] : [{ statements: block }]
  }

  /** Drops an open BEGIN block unsent (the REPL's \r and Ctrl-C). Returns how many statements it held. */
  discard(): number {
    const n = this.block?.length ?? 0
    this.block = null
    return n
  }
}

/**
 * BEGIN, COMMIT or ROLLBACK for their other spellings, which psql and sqlite3 users type: START
 * [TRANSACTION] and END (the server's too), and psql's ABORT (a ROLLBACK, which the console does itself).
 */
function transactionVerb(verb: string): string {
  return verb === 'START' ? 'BEGIN' : verb === 'END' ? 'COMMIT' : verb === 'ABORT' ? 'ROLLBACK' : verb
}

/** What the console says for a ROLLBACK unit. */
export function rollbackNote(rollback: { readonly dropped: number | null }): string {
  if (rollback.dropped === null) return 'ROLLBACK: no transaction in progress (nothing was sent)'
  return `ROLLBACK: ${heldBlock(rollback.dropped)} was not sent; nothing of it ran`
}

/**
 * A dropped BEGIN block as the console names it, from the statements held (its BEGIN included): what it
 * counts is the statements written after the BEGIN (`BEGIN; INSERT …; ROLLBACK;` held one, not two).
 */
export function heldBlock(held: number): string {
  const inside = held - 1
  return inside <= 0 ? 'the empty BEGIN block' : `the BEGIN block (${inside} statement${inside === 1 ? '' : 's'})`
}
