// The REPL's terminal as the printer and \e see it: its size, and lending it to another program (a pager,
// an editor) and taking it back.
import type { Interface } from 'node:readline'
import type { ReadStream, WriteStream } from 'node:tty'
import type { TerminalInfo } from './printer.js'

/**
 * The terminal of `rl` when `output` is one, else null. While it is lent, readline stops reading, the
 * input leaves raw mode, and a Ctrl-C (then a SIGINT to the whole foreground group) is the other
 * program's, not a reason for the console to exit.
 */
export function terminalOf(rl: Interface, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): TerminalInfo | null {
  const out = output as Partial<WriteStream>
  if (out.isTTY !== true) return null
  const tty = input as Partial<ReadStream>
  return {
    size: () => (typeof out.columns === 'number' && typeof out.rows === 'number' ? { columns: out.columns, rows: out.rows } : null),
    async handOver<T>(run: () => Promise<T>): Promise<T> {
      const raw = tty.isTTY === true && tty.isRaw === true
      const ignore = (): void => {}
      process.on('SIGINT', ignore)
      rl.pause()
      if (raw) tty.setRawMode?.(false)
      try {
        return await run()
      } finally {
        if (raw) tty.setRawMode?.(true)
        rl.resume()
        process.off('SIGINT', ignore)
      }
    },
  }
}
