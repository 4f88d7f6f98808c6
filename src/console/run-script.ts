// `acheron console -e SQL -f FILE ...`: every statement of the sources in order, one unit per request;
// 0 when all succeed, 1 at the first failure (printed to stderr; nothing after it is sent).
import type { Printer } from './printer.js'
import type { Session } from './session.js'
import { statementsOf, type Source } from './source.js'
import { rollbackNote, UnitGrouper, type Unit } from './units.js'

export function unitsOf(sources: readonly Source[]): Unit[] {
  const grouper = new UnitGrouper()
  const units: Unit[] = []
  let index = 0
  for (const source of sources) {
    const statements = statementsOf(source, index)
    index += statements.length
    for (const s of statements) units.push(...grouper.push(s))
  }
  units.push(...grouper.flush())
  return units
}

export async function runScript(sources: readonly Source[], session: Session, printer: Printer): Promise<number> {
  for (const unit of unitsOf(sources)) {
    if (unit.rollback !== undefined) {
      // On stderr: stdout holds only results (one JSON line each with --json).
      printer.warn(rollbackNote(unit.rollback))
      continue
    }
    const outcome = await session.run(unit)
    if (!outcome.ok) {
      printer.failure(outcome.failure)
      return 1
    }
    printer.results(outcome.results, unit.statements)
  }
  return 0
}
