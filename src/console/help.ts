// \help: the meta-commands and a summary of the SQL (docs/console.md and docs/sql.md say it at length).

export const HELP = String.raw`Statements end with ';' and may span lines; each is sent, and its result shown, on its own.
BEGIN; ...; COMMIT; is one transaction: its statements are held and sent together at COMMIT;
ROLLBACK; drops them unsent.

Meta-commands (from a backslash outside strings and comments to the line's end, also after a statement:
SELECT 1 \gx; in -e/-f scripts and \i files too, all but \e, \watch, \s and \! alone):
  \help, \h, \?        this help; \h NAME: the SQL below for statement NAME (\h delete)
  \d [PATTERN]         tables and functions (PATTERN: * and ? wildcards, any case)
  \dt[+] [PATTERN]     tables: partitions, key, column count
  \df[+] [PATTERN]     functions with their limits (fuel, memory); + adds the module hash
  \d NAME              columns, types, NOT NULL, defaults, key, partitions and indexes of table NAME (a pattern too)
  \d+ NAME             the same, with its row count (SELECT COUNT(*)) and its functions
  \di [PATTERN]        indexes (PATTERN matches the index or its table)
  \x [on|off|auto]     expanded display, one -[ RECORD n ]- block per row (auto: when wider than the
                       terminal; without an argument: toggle)
  \t [on|off]          tuples only: rows without the column names and the footer (toggles; -t)
  \a                   between the aligned and the unaligned format (-A)
  \pset                the display settings
  \pset null TEXT      how NULL is shown (default: NULL, in csv an empty field; quote with '...')
  \pset format F       aligned, csv, json, markdown or unaligned
  \pset pager on|off   results taller than the terminal go through $PAGER (default less -FRX)
  \o [FILE | |CMD]     send results to FILE (truncated), or into CMD's stdin; \o alone: back to the
                       screen (after CMD has finished)
  \i FILE              run FILE's statements and meta-commands, as -f would (stops at the first failure)
  \copy T [(cols)] from 'FILE' [csv] [header]   load FILE's rows into table T (text format:
                       tab-separated, \N for NULL; csv: commas, an empty field for NULL), 1000 a transaction
  \copy {T | (query)} to {'FILE' | stdout} [csv] [header]   write rows out; options also psql's
                       (format csv, header, delimiter ';', null 'NA')
  \e                   edit the statement being typed, or the last one, in $VISUAL, $EDITOR or vi;
                       it runs when it comes back ending with ';'
  \watch [N]           run the statement being typed, or the last one, every N seconds (default 2,
                       at most 3600) until Ctrl-C
  \conninfo            the server's URL and version, TLS, whether a token is sent
  \timing [on|off]     show how long each statement took (without an argument: toggle)
  \g [FILE | |CMD]     send the statement being typed (no ';' needed), or the last one again;
                       its results into FILE, or into CMD's stdin; \gx: the same, in records as \x shows them
  \gset [PREFIX]       send it as \g does, and set a variable PREFIXcolumn to each value of its one
                       row instead of showing it (NULL: unset; no row or several: an error)
  \set [NAME [VALUE]]  set variable NAME (its values joined); alone: list the variables. \unset NAME
                       In statements and meta-commands :NAME is the value, :'NAME' a quoted literal,
                       :"NAME" a quoted identifier (not inside strings or comments; unset: left as typed),
                       :{?NAME} TRUE or FALSE, whether NAME is set
  \if EXPR, \elif EXPR, \else, \endif
                       conditional block: only the branch whose EXPR is true (true/false, on/off,
                       yes/no, 1/0), or else \else, runs; blocks nest (prompt acheron@> in a skipped branch)
  \s [FILE]            the history (REPL), on the screen or into FILE
  \l                   list databases: a server is one database (its URL, tables and functions counted)
  \! [COMMAND]         run COMMAND with sh (SHELL_EXIT_CODE, SHELL_ERROR set); alone: a shell (REPL)
  \echo TEXT ...       print TEXT (a script's progress lines, as psql's \echo)
  \qecho TEXT ...      print TEXT where results go (the \o file or command)
  \logs [on|off]       send every CALL WITH LOGS: its function log() lines are shown after the result
  \r                   forget the statement being typed, and a BEGIN block not yet sent
  \q                   quit (also Ctrl-D); Ctrl-C forgets the statement being typed, or stops
                       waiting for one that runs (it still runs; its outcome is shown later)
  Tab completes keywords, meta-commands, tables, columns, functions, :variables and the FILE of \i, \o,
                       \s, \g, \copy; Up/Down walk the history

SQL (docs/sql.md):
  CREATE TABLE [IF NOT EXISTS] t (col TYPE [NOT NULL] [DEFAULT v] [PRIMARY KEY], ...) [PARTITIONS n]
  DROP TABLE [IF EXISTS] t
  ALTER TABLE t PARTITIONS n                   move its rows to n partitions while calls go on
  ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] col TYPE [NOT NULL] [DEFAULT v]   every row takes the default
  ALTER TABLE t RENAME [COLUMN] col TO name     same place, values and indexes
  ALTER TABLE t DROP [COLUMN] [IF EXISTS] col   no statement sees it; no row is rewritten
  CREATE INDEX [IF NOT EXISTS] i ON t (col [DESC], ...)     DROP INDEX [IF EXISTS] i     SHOW INDEXES [FROM t]
      (for queries and scans that filter or sort on other columns than the key)
  CREATE [OR REPLACE] FUNCTION t.f FROM WASM FILE 'path' | X'hex' | BASE64 '...' [EXPORT 'name']
      [WITH (FUEL = n, MEMORY = bytes)]       (FILE is read here, relative to the current directory)
  CREATE [OR REPLACE] FUNCTIONS t.* | t.(f, g) FROM WASM ... [WITH (...)]   every export (or those named), at once
  DROP FUNCTION [IF EXISTS] t.f     SHOW TABLES     SHOW FUNCTIONS     SHOW CLUSTER     SHOW STATS
  DESCRIBE t     DESC t     SHOW COLUMNS FROM | IN t      t's columns (DESC t only where a statement starts)
  CALL t.f(key, arg, ...) [WITH LOGS]
  EXPLAIN CALL t.f(key, arg, ...)   the call's trace on the current state, nothing committed
  EXPLAIN COMMIT (batch, seq)       the trace of the transaction that ran at that commit position (why it rolled back)
  INSERT [OR REPLACE] INTO t [(cols)] VALUES (...), ... [ON CONFLICT [(key)] DO NOTHING | DO UPDATE SET col = excluded.col ...]
  UPDATE t SET col = expr, ... [WHERE ...]     DELETE FROM t [WHERE ...]     TRUNCATE [TABLE] t
      INSERT INTO t [(cols)] SELECT ...   the rows of a query (any SELECT, WITH too)
      any of the three ... RETURNING *, col, expr AS name   the rows written
      UPDATE's SET and WHERE, DELETE's WHERE may hold subqueries (SELECT ... FROM other tables);
      WITH name AS (SELECT ...) UPDATE | DELETE ... names queries those subqueries read
  SELECT ... FROM t [[NATURAL] [LEFT|RIGHT|FULL|CROSS] JOIN u ON ... | USING (cols)] [WHERE ...]
      [GROUP BY ...] [ORDER BY ...] [LIMIT n]   subqueries: x IN (SELECT ...), EXISTS (SELECT ...),
      (SELECT ...) as a value, FROM (SELECT ...) AS d, each may start WITH ...; SELECT ... UNION [ALL] |
      INTERSECT | EXCEPT SELECT ...
  VALUES (expr, ...), (expr, ...) [ORDER BY ...] [LIMIT n]   a query of those rows, columns column1, column2, ...
  WITH [RECURSIVE] name AS (SELECT ... [UNION [ALL] SELECT ... FROM name ...]) SELECT ...
  window functions: ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...), RANK, LAG(x), SUM(x) OVER (ORDER BY k
      ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), ... in the selected columns and ORDER BY`


/** Where the SQL summary starts in HELP. */
const SQL_HEADING = 'SQL (docs/sql.md):'

/**
 * The SQL summary's entries: a line indented two spaces starts one, the lines indented further go on it.
 * An entry for each statement form, as `\h NAME` shows them.
 */
function sqlEntries(): string[][] {
  const entries: string[][] = []
  for (const line of HELP.slice(HELP.indexOf(SQL_HEADING) + SQL_HEADING.length + 1).split('\n')) {
    if (/^ {2}\S/.test(line) || entries.length === 0) entries.push([line])
    else entries[entries.length - 1]?.push(line)
  }
  return entries
}

/**
 * psql's `\h NAME`: the entries of the SQL summary that hold NAME's words as SQL (`\h delete`, `\h create
 * index`: the summary writes SQL in capitals, its prose not, so `values` is the VALUES of SQL, not a word of a
 * comment), or that start with them (`\h window` for window functions); null when none does. \h alone is
 * the whole help.
 */
export function sqlHelp(words: readonly string[]): string | null {
  const phrase = (upper: boolean): string => words.map((w) => (upper ? w.toUpperCase() : w).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+')
  const asSql = new RegExp(`(?:^|[^A-Za-z0-9_])${phrase(true)}(?![A-Za-z0-9_])`)
  const asTitle = new RegExp(`^\\s*${phrase(false)}(?![A-Za-z0-9_])`, 'i')
  const found = sqlEntries().filter((entry) => asSql.test(entry.join('\n')) || asTitle.test(entry[0] ?? ''))
  return found.length === 0 ? null : [SQL_HEADING, ...found.flat()].join('\n')
}
