// \help: the meta-commands and a summary of the SQL (docs/console.md and docs/sql.md say it at length).

export const HELP = String.raw`Statements end with ';' and may span lines; each is sent, and its result shown, on its own.
BEGIN; ...; COMMIT; is one transaction: its statements are held and sent together at COMMIT;
ROLLBACK; drops them unsent.

Meta-commands (at the start of a line):
  \help, \h, \?      this help
  \timing [on|off]   show how long each statement took (without an argument: toggle)
  \r                 forget the statement being typed, and a BEGIN block not yet sent
  \q                 quit (also Ctrl-D); Ctrl-C forgets the statement being typed
  Tab completes keywords, tables, columns and functions; Up/Down walk the history

SQL (docs/sql.md):
  CREATE TABLE [IF NOT EXISTS] t (col TYPE [NOT NULL] [DEFAULT v] [PRIMARY KEY], ...) [PARTITIONS n]
  DROP TABLE [IF EXISTS] t
  CREATE [OR REPLACE] FUNCTION t.f FROM WASM FILE 'path' | X'hex' | BASE64 '...' [EXPORT 'name']
      [WITH (FUEL = n, MEMORY = bytes)]       (FILE is read here, relative to the current directory)
  DROP FUNCTION [IF EXISTS] t.f     SHOW TABLES     SHOW FUNCTIONS     DESCRIBE t
  CALL t.f(key, arg, ...)
  INSERT [OR REPLACE] INTO t [(cols)] VALUES (...), ...
  UPDATE t SET col = expr, ... [WHERE ...]     DELETE FROM t [WHERE ...]
  SELECT ... FROM t [WHERE ...] [GROUP BY ...] [ORDER BY ...] [LIMIT n]`
