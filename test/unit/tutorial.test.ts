// docs/tutorial.md, run as a new user would run it: every fenced block in order, in a temporary
// directory whose `acheron` is a link to this clone, and every shown output checked.
//
// Blocks, by their info string:
//   ```sh              run with bash (set -e) in the current directory; a `cd` carries over to the next block
//   ```sh server       the server (`npx acheron serve`), started in the background; its ready line is its output
//   ```sh interactive  an interactive console: its `cd` lines run, the console itself is what the following
//                      ```sql blocks are typed into
//   ```sql [exit=N]    typed at the console's prompt: run as one `npx acheron console URL -e BLOCK` in the
//                      current directory; exit 0 unless the block says otherwise
//   ```text            the output of the block before it: it must appear in what that block printed
//                      (stdout then stderr), `…` matching anything within a line and commit positions
//                      compared as positions, not numbers (they depend on how statements fall into batches)
//   ```ts              code the tutorial shows: it must be, verbatim, in the file the project has
//                      (functions/counter.ts of the current directory)
// Any other block fails the test: nothing in the tutorial goes unchecked.
//
// What the test changes, each listed here and each checked to have been used (SUBSTITUTIONS):
//   - `npm pack` gets --ignore-scripts: its `prepare` script would rebuild the clone, which `npm test` built.
//   - `npm install` gets --prefer-offline --ignore-scripts --no-audit --no-fund, and better-sqlite3's native
//     addon is copied from this clone's build (a node-gyp build takes ~2 minutes; test/package/tarball.test.ts
//     says why this is sound; another version of better-sqlite3 is rebuilt instead).
//   - `npx acheron serve` gets --port 0, and port 7878 becomes that port everywhere after it: other tests
//     and engineers share this machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tempDir } from '../support/tmp.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TUTORIAL = join(ROOT, 'docs', 'tutorial.md')
const OWN = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
/** The tarball `npm pack` writes into the clone; removed at the end unless it was there before. */
const TARBALL = join(ROOT, `acheron-${OWN.version}.tgz`)
const SQLITE_ADDON = join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
const DOC_PORT = '7878'
/** Safety nets against a hung child, not measurements: an npm install takes ~15 s, fn test ~15 s. */
const BLOCK_TIMEOUT_MS = 6 * 60_000
const READY_TIMEOUT_MS = 30_000
const EXIT_TIMEOUT_MS = 20_000

interface Block { readonly lang: string; readonly attrs: string; readonly body: string; readonly section: string; readonly line: number }

/** The fenced blocks of the tutorial, in order, with the section (## heading) each stands in. */
function blocks(markdown: string): Block[] {
  const out: Block[] = []
  const lines = markdown.split('\n')
  let section = '(before the first section)'
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string
    if (l.startsWith('## ')) section = l.slice(3)
    const open = /^```(\S+)\s*(.*)$/.exec(l)
    if (open === null) continue
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i] as string)
    out.push({ lang: open[1] as string, attrs: open[2] as string, body: body.join('\n') + '\n', section, line: start + 1 })
  }
  return out
}

interface Output { code: number | null; text: string; what: string }

const tmp = tempDir('acheron-tutorial-')
const tarballExisted = existsSync(TARBALL)
let cwd = tmp.dir
let port: string | null = null
let server: ChildProcess | null = null
let serverLog = ''
let last: Output | null = null
let broken: string | null = null
const used = { pack: 0, install: 0, serve: 0, port: 0 }

test.after(async () => {
  await stopServer()
  if (!tarballExisted) rmSync(TARBALL, { force: true })
  tmp.cleanup()
})

/** The environment of every command: no npm_* of an enclosing `npm test`, and npx never downloads. */
function env(): NodeJS.ProcessEnv {
  const e = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')))
  return { ...e, NO_COLOR: '1', npm_config_yes: 'false', npm_config_update_notifier: 'false' }
}

function withPort(text: string): string {
  if (port === null || !text.includes(DOC_PORT)) return text
  used.port++
  return text.replaceAll(DOC_PORT, port)
}

/** The test's changes to a shell block (header comment), line by line. */
function substitute(script: string): string {
  return withPort(script).split('\n').map((line) => {
    if (/^npm pack(\s|$)/.test(line)) {
      used.pack++
      return line.replace(/^npm pack/, 'npm pack --ignore-scripts')
    }
    if (/^npm install(\s|$)/.test(line)) {
      used.install++
      const addon = 'node_modules/better-sqlite3/build/Release'
      return `${line.replace(/^npm install/, 'npm install --prefer-offline --ignore-scripts --no-audit --no-fund')}\n` +
        `mkdir -p ${addon} && cp ${JSON.stringify(SQLITE_ADDON)} ${addon}/`
    }
    return line
  }).join('\n')
}

/** Runs `script` with bash in the current directory; the directory it ends in becomes the current one. */
function sh(script: string, what: string): Output {
  const pwdFile = join(tmp.dir, '.pwd')
  rmSync(pwdFile, { force: true })
  const r = spawnSync('bash', ['-c', `set -e\n${script}\npwd > ${JSON.stringify(pwdFile)}\n`], {
    cwd, env: env(), encoding: 'utf8', timeout: BLOCK_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024,
  })
  if (existsSync(pwdFile)) cwd = readFileSync(pwdFile, 'utf8').trim()
  return { code: r.status, text: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error !== undefined ? `\n${r.error.message}` : ''}`, what }
}

/** An installed better-sqlite3 of another version than the clone's: rebuilt, since the copied addon is not its. */
function checkSqliteAddon(): void {
  const installed = join(cwd, 'node_modules', 'better-sqlite3', 'package.json')
  if (!existsSync(installed)) return
  const version = (f: string): string => (JSON.parse(readFileSync(f, 'utf8')) as { version: string }).version
  const own = version(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'))
  if (version(installed) === own) return
  console.log(`better-sqlite3 ${version(installed)} installed, ${own} in the clone: compiling it (~2 minutes)`)
  const r = sh('npm rebuild better-sqlite3', 'npm rebuild better-sqlite3')
  assert.is(r.code, 0, r.text)
}

async function startServer(block: Block): Promise<Output> {
  const command = block.body.trim()
  assert.is(command, 'npx acheron serve', 'the server block is the plain command the test knows how to start')
  used.serve++
  const child = spawn('bash', ['-c', `exec ${command} --port 0`], { cwd, env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  server = child
  child.stderr.on('data', (d: Buffer) => { serverLog += d.toString() })
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${READY_TIMEOUT_MS} ms: ${serverLog}`)), READY_TIMEOUT_MS)
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('acheron listening on ')) { clearTimeout(timer); resolve(line) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the server exited ${String(code)}: ${serverLog}`)) })
  })
  port = /:(\d+)$/.exec(ready)?.[1] ?? null
  assert.ok(port !== null, ready)
  return { code: 0, text: `${ready}\n`, what: command }
}

/** Ctrl-C, as a terminal sends it: SIGINT to the server's process group (npx and the server under it). */
async function stopServer(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
  const child = server
  server = null
  if (child === null || child.pid === undefined) return null
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  process.kill(-child.pid, 'SIGINT')
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), EXIT_TIMEOUT_MS).unref())
  const r = await Promise.race([exited, timeout])
  if (r === 'timeout') {
    process.kill(-child.pid, 'SIGKILL')
    throw new Error(`the server did not stop within ${EXIT_TIMEOUT_MS} ms of SIGINT: ${serverLog.slice(-2000)}`)
  }
  return r
}

/**
 * `expected` (a ```text block) as a regular expression over the output: `…` is any text within a line, a
 * line of `…` alone any number of lines; commit positions match any position.
 */
function outputPattern(expected: string): RegExp {
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const line = (l: string): string => l.split('…').map(escape).join('[^\\n]*')
    .replace(/\\\{batch: \d+, seq: \d+\\\}/g, '\\{batch: \\d+, seq: \\d+\\}')
  const lines = withPort(expected.trimEnd()).split('\n')
  return new RegExp(lines.map((l, i) => (l === '…' ? '(?:[^\\n]*\\n)*?' : line(l) + (i < lines.length - 1 ? '\\n' : ''))).join(''))
}

async function runBlock(b: Block): Promise<void> {
  switch (`${b.lang} ${b.attrs}`.trim().replace(/ exit=\d+$/, '')) {
    case 'sh': {
      last = sh(substitute(b.body), b.body.trim())
      assert.is(last.code, 0, `exit ${String(last.code)}: ${last.text}`)
      checkSqliteAddon()
      return
    }
    case 'sh server':
      last = await startServer(b)
      return
    case 'sh interactive': {
      const lines = b.body.trim().split('\n')
      assert.is(lines.pop(), 'npx acheron console', 'an interactive block ends with the console it opens')
      if (lines.length > 0) assert.is(sh(lines.join('\n'), lines.join('; ')).code, 0)
      last = null
      return
    }
    case 'sql': {
      assert.ok(port !== null, 'the server was started before any SQL')
      const file = join(tmp.dir, `block-${b.line}.sql`)
      writeFileSync(file, b.body)
      // One -e: FILE paths relative to the current directory and errors labelled `LINE n:`, as at the
      // prompt (with -f or a pipe they would be relative to the file's directory and labelled by the file).
      last = sh(`npx acheron console ws://127.0.0.1:${port as string} -e "$(cat ${JSON.stringify(file)})"`, b.body.trim())
      const exit = Number(/exit=(\d+)/.exec(b.attrs)?.[1] ?? 0)
      assert.is(last.code, exit, `exit ${String(last.code)}, expected ${exit}: ${last.text}`)
      return
    }
    case 'text': {
      // ACHERON_TUTORIAL_SHOW=1 prints what each shown output was matched against, for updating the tutorial.
      if (process.env.ACHERON_TUTORIAL_SHOW === '1' && last !== null) console.log(`---- docs/tutorial.md:${b.line}\n${last.text}`)
      assert.ok(last !== null, 'an output block follows the block it is the output of')
      const output = last as Output
      assert.match(output.text, outputPattern(b.body), `the output of\n  ${output.what}\nwas\n${output.text}\nwhere the tutorial shows\n${b.body}`)
      last = null // one output block per command block
      return
    }
    case 'ts': {
      const file = join(cwd, 'functions', 'counter.ts')
      assert.ok(readFileSync(file, 'utf8').includes(b.body), `${file} has the code the tutorial shows:\n${b.body}`)
      return
    }
    default:
      assert.unreachable(`a block the test does not know how to check: \`\`\`${b.lang} ${b.attrs}`)
  }
}

const markdown = readFileSync(TUTORIAL, 'utf8')
const all = blocks(markdown)

test('the tutorial has the steps the README promises, and the test runs it from a directory holding a clone', () => {
  for (const step of ['Install', 'Start the server', 'first table', 'A first function', 'Register it', 'A first CALL', 'A first abort', 'EXPLAIN CALL', 'EXPLAIN COMMIT', 'console', 'The browser console']) {
    assert.ok(all.some((b) => b.section.includes(step)), `a section about "${step}" with commands`)
  }
  assert.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), /docs\/tutorial\.md/, 'the README links the tutorial')
  symlinkSync(ROOT, join(tmp.dir, 'acheron'), 'dir')
})

for (const b of all) {
  test(`${b.section}: \`\`\`${b.lang}${b.attrs === '' ? '' : ` ${b.attrs}`} at docs/tutorial.md:${b.line}`, async () => {
    if (broken !== null) assert.unreachable(`not run: ${broken} failed before it`)
    try {
      await runBlock(b)
    } catch (e) {
      broken = `the block at line ${b.line}`
      throw e
    }
  })
}

test('the browser console at the URL the tutorial gives', async () => {
  assert.is(broken, null, 'every block ran')
  const url = /<(http:\/\/127\.0\.0\.1:7878\/)>/.exec(markdown)?.[1]
  assert.ok(url !== undefined, 'the tutorial links http://127.0.0.1:7878/')
  const page = await fetch(withPort(url as string))
  assert.is(page.status, 200)
  assert.match(await page.text(), /<title>Acheron console<\/title>/)
})

test('Ctrl-C stops the server; started again on the same directory, it has everything', async () => {
  assert.is(broken, null, 'every block ran')
  const bank = join(tmp.dir, 'bank')
  const exit = await stopServer()
  // npx passes the terminal's SIGINT on and dies of it (or exits 0); the server under it says it stopped.
  assert.ok(exit !== null && (exit.code === 0 || exit.signal === 'SIGINT'), `npx acheron serve after SIGINT: ${JSON.stringify(exit)}`)
  assert.match(serverLog, /SIGINT: finishing the batch in flight, then exiting[\s\S]*"msg":"stopped"/, serverLog.slice(-2000))
  cwd = bank
  await startServer({ lang: 'sh', attrs: 'server', body: 'npx acheron serve\n', section: 'restart', line: 0 })
  const r = sh(`npx acheron console ws://127.0.0.1:${port as string} -e "CALL counter.get('visits');"`, 'after the restart')
  assert.is(r.code, 0, r.text)
  assert.match(r.text, / result\n-+\n +6\n\(1 row\)/)
})

test('every change the test makes to the tutorial\'s commands was needed once at least', () => {
  assert.ok(used.pack >= 1 && used.install >= 2 && used.serve >= 1 && used.port >= 1, JSON.stringify(used))
})

test.run()
