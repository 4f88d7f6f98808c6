// Reading what `acheron bench` printed: its table, one row per system, by the documented column names.
export const COLUMNS = ['system', 'clients × in flight', 'txn/s', 'p50 ms', 'p99 ms', 'max ms', 'aborts', 'abort rate', 'conflict aborts', 'retries', 'failed'] as const

export type Row = Record<(typeof COLUMNS)[number], string>

/** The table's rows by system title (Acheron, PostgreSQL, SQLite); throws unless the header is the documented one. */
export function benchTable(stdout: string): Map<string, Row> {
  const lines = stdout.split('\n')
  const header = lines.findIndex((l) => l.startsWith('| system |'))
  if (header < 0) throw new Error(`no table in:\n${stdout}`)
  const cells = (l: string): string[] => l.split('|').slice(1, -1).map((c) => c.trim())
  const names = cells(lines[header] as string)
  if (names.join(',') !== COLUMNS.join(',')) throw new Error(`columns ${names.join(', ')}, not ${COLUMNS.join(', ')}`)
  const rows = new Map<string, Row>()
  for (const l of lines.slice(header + 2)) {
    if (!l.startsWith('|')) break
    const c = cells(l)
    rows.set(c[0] as string, Object.fromEntries(COLUMNS.map((name, i) => [name, c[i] ?? ''])) as Row)
  }
  return rows
}
