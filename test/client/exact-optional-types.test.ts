// docs/client.md connects with `connect(url, { token: process.env.ACHERON_TOKEN })`, and connect() takes
// an option given as undefined as absent (an unset variable means no token). A strict project with
// `exactOptionalPropertyTypes` (which tells `token?: string` from `token?: string | undefined`) could not
// compile that line: TS2379, "Type 'string | undefined' is not assignable to type 'string'". The
// declarations must say what the code accepts.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tempDir } from '../support/tmp.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const INDEX = join(ROOT, 'dist', 'src', 'index.js')

const PROGRAM = `
import { connect } from ${JSON.stringify(INDEX)}
const env: Record<string, string | undefined> = {}
const timeout: number | undefined = env.TIMEOUT === undefined ? undefined : Number(env.TIMEOUT)
// Every option of connect() may be given as undefined, as docs/client.md's example gives token.
const db = await connect('ws://127.0.0.1:7878', {
  token: env.ACHERON_TOKEN,
  requestTimeoutMs: timeout,
  connectTimeoutMs: timeout,
  reconnect: { attemptsMax: timeout, delayMs: timeout },
  ca: undefined,
  rejectUnauthorized: undefined,
  readFile: undefined,
})
await db.close()
`

test('connect() options type-check under exactOptionalPropertyTypes, an option given as undefined too', () => {
  const tmp = tempDir()
  try {
    const dir = join(tmp.dir, 'project')
    mkdirSync(dir)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    writeFileSync(join(dir, 'main.ts'), PROGRAM)
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, exactOptionalPropertyTypes: true, noEmit: true, target: 'es2022', module: 'nodenext',
        moduleResolution: 'nodenext', types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: ['main.ts'],
    }))
    let out = ''
    try {
      execFileSync(process.execPath, [TSC, '-p', dir], { cwd: dir, encoding: 'utf8' })
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e)
    }
    assert.is(out, '')
  } finally {
    tmp.cleanup()
  }
})

test.run()
