// The light client as a user installs it: `npm pack` of packages/client (@acheron/client), installed from
// the tarball into a fresh project. Its node_modules must hold @acheron/client and ws and nothing else (no
// better-sqlite3, no binaryen); a typed TypeScript program compiled by tsc against the installed package's
// declarations then connects to a real `acheron serve`, registers a function from a FILE, CALLs it and
// reads the row back as an object.
//
// Offline: ws is packed from this clone's node_modules and installed beside the client tarball with
// `npm install --offline`, so no registry is needed. Only when that fails (an npm that will not take it)
// does the install fall back to `--prefer-offline`, which may ask the registry for ws.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer, tempDir } from '../support/server-process.js'

const root = new URL('../../../', import.meta.url).pathname
const BANK = join(root, 'dist', 'guest', 'bank.wasm')
const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

interface Ran { status: number | null; stdout: string; stderr: string }

/** Runs a command to its end without blocking the event loop (the server child's output keeps draining). */
function run(cmd: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd)
  assert.is(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

/** `npm pack` of `dir` into `dest`: the tarball's path. */
async function pack(dir: string, dest: string): Promise<string> {
  const out = await ok('npm', ['pack', '--silent', '--pack-destination', dest, dir], root)
  const name = out.trim().split('\n').pop() ?? ''
  assert.ok(name.endsWith('.tgz'), `npm pack printed ${JSON.stringify(out)}`)
  return join(dest, name)
}

/** The name of every package installed under `nodeModules`, nested ones too. */
function installedPackages(nodeModules: string): string[] {
  const names: string[] = []
  const visit = (dir: string): void => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue
      const p = join(dir, entry)
      if (entry.startsWith('@')) { visit(p); continue }
      const manifest = join(p, 'package.json')
      if (existsSync(manifest)) names.push(String((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name))
      visit(join(p, 'node_modules'))
    }
  }
  visit(nodeModules)
  return names.sort()
}

function sizeOf(path: string): number {
  const s = statSync(path)
  if (!s.isDirectory()) return s.size
  return readdirSync(path).reduce((sum, e) => sum + sizeOf(join(path, e)), 0)
}

const APP = `
import { AcheronError, connect, isOutcomeUnknown, type ObjectRow } from '@acheron/client'

const [url, wasm] = process.argv.slice(2) as [string, string]
const db = await connect(url)
await db.sql(\`
  CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 2;
  CREATE FUNCTION account.deposit FROM WASM FILE '\${wasm}';
  CREATE FUNCTION account.withdraw FROM WASM FILE '\${wasm}';
\`)
await db.call<number>('account.deposit', 'alice', 5)
const deposit = await db.call<number>('account.deposit', 'alice', 7)
const balance: number = deposit.value
interface Account { id: string; balance: number }
const typed = await db.query<Account>('SELECT id, balance FROM account WHERE id = ?', ['alice'], { rows: 'objects' })
const first: Account | undefined = typed.rows[0]
const loose = await db.query('SELECT id AS who FROM account', [], { rows: 'objects' })
const looseRow: ObjectRow | undefined = loose.rows[0]
const arrays = await db.query<[string, number]>('SELECT id, balance FROM account')
let code = ''
try {
  await db.call('account.withdraw', 'alice', 1000)
} catch (e) {
  if (e instanceof AcheronError && !isOutcomeUnknown(e)) code = e.code
}
await db.close()
console.log(JSON.stringify({ balance, first, looseRow, columns: typed.columns, arrays: arrays.rows, code }))
`

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true,
    types: ['node'], typeRoots: [join(root, 'node_modules', '@types')], outDir: '.', skipLibCheck: false,
  },
  files: ['app.ts'],
}

// A program that uses only the client's types, compiled with no @types at all: the declarations must not
// name Node's own types (Buffer, NodeJS.*), or a browser-minded or lean project fails in our .d.ts files.
const TYPES_ONLY = `import { connect, AcheronError, type RemoteConnectOptions } from '@acheron/client'
const options: RemoteConnectOptions = { token: 't', ca: new Uint8Array(0), requestTimeoutMs: 1000 }
export async function balanceOf(url: string, id: string): Promise<number | undefined> {
  const db = await connect(url, options)
  try {
    const r = await db.query<{ balance: number }>('SELECT balance FROM account WHERE id = ?', [id], { rows: 'objects' })
    return r.rows[0]?.balance
  } catch (e) {
    if (e instanceof AcheronError) return undefined
    throw e
  } finally {
    await db.close()
  }
}
`

const TSCONFIG_NO_TYPES = {
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true,
    types: [], typeRoots: [], lib: ['ES2022'], noEmit: true, skipLibCheck: false,
  },
  files: ['types-only.ts'],
}

test('npm pack of @acheron/client installs with ws alone, type-checks, and runs against acheron serve', async () => {
  const { dir, cleanup } = tempDir('acheron-light-client-')
  try {
    const client = await pack(join(root, 'packages', 'client'), dir)
    const ws = await pack(join(root, 'node_modules', 'ws'), dir)
    const project = join(dir, 'project')
    await ok('mkdir', [project], dir)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'light-client-user', private: true, type: 'module' }))
    const offline = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', client, ws], project)
    if (offline.status !== 0) {
      process.stdout.write(`offline install failed (${offline.stderr.trim().split('\n')[0]}); trying --prefer-offline\n`)
      await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', client], project)
    }

    const nodeModules = join(project, 'node_modules')
    const installed = installedPackages(nodeModules)
    assert.equal(installed, ['@acheron/client', 'ws'])
    assert.not.ok(existsSync(join(nodeModules, 'better-sqlite3')))
    assert.not.ok(existsSync(join(nodeModules, 'binaryen')))
    const bytes = sizeOf(nodeModules)
    process.stdout.write(`light client install: ${installed.join(', ')}; ${(bytes / 1024).toFixed(0)} KiB of node_modules\n`)
    assert.ok(bytes < 2 * 1024 * 1024, `node_modules is ${bytes} bytes`)

    writeFileSync(join(project, 'app.ts'), APP)
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2))
    await ok(process.execPath, [TSC, '-p', 'tsconfig.json'], project)
    writeFileSync(join(project, 'types-only.ts'), TYPES_ONLY)
    writeFileSync(join(project, 'tsconfig.no-types.json'), JSON.stringify(TSCONFIG_NO_TYPES, null, 2))
    await ok(process.execPath, [TSC, '-p', 'tsconfig.no-types.json'], project)

    const server = await startServer({ args: ['--partitions', '2', '--workers', '1'] })
    try {
      const out = await ok(process.execPath, ['app.js', server.url, BANK], project)
      const result = JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, unknown>
      assert.equal(result, {
        balance: 12,
        first: { id: 'alice', balance: 12 },
        looseRow: { who: 'alice' },
        columns: ['id', 'balance'],
        arrays: [['alice', 12]],
        code: 'TXN_ABORTED',
      })
    } finally {
      await server.kill()
    }
  } finally {
    cleanup()
  }
})

test.run()
