// Reading what `acheron bench` printed: its table, one row per system and point, by the documented column names.
export const COLUMNS = ['system', 'settings', 'clients × in flight', 'txn/s', 'p50 ms', 'p99 ms', 'max ms', 'aborts', 'abort rate', 'conflict aborts', 'retries', 'failed'] as const

export type Row = Record<(typeof COLUMNS)[number], string>

/** The table's rows in order; throws unless the header is the documented one. */
export function benchRows(stdout: string): Row[] {
  const lines = stdout.split('\n')
  const header = lines.findIndex((l) => l.startsWith('| system |'))
  if (header < 0) throw new Error(`no table in:\n${stdout}`)
  const cells = (l: string): string[] => l.split('|').slice(1, -1).map((c) => c.trim())
  const names = cells(lines[header] as string)
  if (names.join(',') !== COLUMNS.join(',')) throw new Error(`columns ${names.join(', ')}, not ${COLUMNS.join(', ')}`)
  const rows: Row[] = []
  for (const l of lines.slice(header + 2)) {
    if (!l.startsWith('|')) break
    const c = cells(l)
    rows.push(Object.fromEntries(COLUMNS.map((name, i) => [name, c[i] ?? ''])) as Row)
  }
  return rows
}

/** The rows of a one-point run by system title (Acheron, PostgreSQL, SQLite); throws on a repeated system. */
export function benchTable(stdout: string): Map<string, Row> {
  const rows = new Map<string, Row>()
  for (const r of benchRows(stdout)) {
    if (rows.has(r.system)) throw new Error(`two rows for ${r.system}: a matrix, read it with benchRows`)
    rows.set(r.system, r)
  }
  return rows
}
