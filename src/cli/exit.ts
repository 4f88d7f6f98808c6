// Leaving the process without losing output. Writes to a pipe are asynchronous in Node: process.exit()
// right after a large write drops what the pipe has not taken yet (a SELECT piped into `wc -l` stopped
// at 256 KiB, with exit 0). So the exit waits until stdout and stderr have flushed everything before it.

/** A reader that went away (`acheron console ... | head`) ends the process quietly, as SIGPIPE ends other tools. */
export function exitQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
      throw err
    })
  }
}

export function exitWhenFlushed(code: number): void {
  process.exitCode = code
  let waiting = 2
  const done = (): void => {
    if (--waiting === 0) process.exit(code)
  }
  for (const stream of [process.stdout, process.stderr]) {
    // An empty write completes after every write queued before it.
    if (stream.destroyed || !stream.writable) done()
    else stream.write('', () => done())
  }
}
