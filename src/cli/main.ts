#!/usr/bin/env node
// The `acheron` command (CONTRACT.md §1).
import { parseArgs } from 'node:util'
import { DEFAULT_DATA_DIR } from '../embedded.js'
import { runDemo } from './demo.js'

const USAGE = `usage: acheron <command> [options]

commands:
  demo [--data DIR] [--workers N] [--protocol aria|calvin|serial] [--transfers N] [--sync full|normal|off]
      runs the bank example end to end on the embedded engine (data in ./acheron-data)

Not in this version yet: serve, console, check, bench (see README.md).`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'demo': {
      const { values } = parseArgs({
        args: rest,
        options: {
          data: { type: 'string', default: DEFAULT_DATA_DIR },
          workers: { type: 'string' },
          protocol: { type: 'string', default: 'aria' },
          transfers: { type: 'string', default: '20000' },
          sync: { type: 'string', default: 'full' },
        },
      })
      const sync = values.sync
      if (sync !== 'full' && sync !== 'normal' && sync !== 'off') throw new Error(`--sync must be full, normal or off, not ${sync}`)
      await runDemo({
        dir: values.data, protocol: values.protocol, sync, transfers: Number(values.transfers),
        ...(values.workers !== undefined ? { workers: Number(values.workers) } : {}),
        out: (line) => process.stdout.write(line + '\n'),
      })
      return 0
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n')
      return command === undefined ? 2 : 0
    default:
      process.stderr.write(`acheron: '${command}' is not a command of this version\n${USAGE}\n`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`acheron: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
