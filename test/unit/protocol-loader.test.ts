// `acheron check --protocol FILE.js` on a module that is not a usable Protocol (docs/research.md): every
// refusal names the module and what is wrong, and is a usage error (exit 2), not a failed check. A syntax
// error or a throw at the module's top level said only `acheron: Unexpected identifier 'is'` and exited
// 1; a module with two Protocols and one with none got the same message, naming neither; a syntax error in
// an ES module named no line.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadProtocol } from '../../src/cli/protocol-loader.js'
import { UsageError } from '../../src/cli/usage-error.js'
import { protocolByName } from '../../src/txn/protocols/index.js'
import { describeRun, MAIN, ROOT, runCli, shellQuote } from '../console/support.js'

const MODULES: Record<string, [string, RegExp]> = {
  'syntax.js': ['this is not js\n', /cannot load .*syntax\.js: SyntaxError: Unexpected identifier/],
  // Node's import() names no line for a syntax error in an ES module; the refusal shows it, with the source
  // line and a caret, as `node --check` prints it (here an ES module by its syntax, in no package).
  'syntax-line.js': ["export default {\n  name: 'x',\n  runBatch() { return 1 +; },\n}\n", /SyntaxError: Unexpected token ';'\n\/.*syntax-line\.js:3\n  runBatch\(\) \{ return 1 \+; \},\n {25}\^$/],
  // A name another module does not export is found while linking: Node's own location, kept.
  'link.js': ["import { nope } from 'node:fs'\nexport default { name: 'x', runBatch() {} }\n", /SyntaxError: The requested module 'node:fs' does not provide an export named 'nope'\nfile:\/\/.*link\.js:1\nimport \{ nope \} from 'node:fs'\n {9}\^\^\^\^$/],
  'top-level.js': ["throw new Error('top-level boom')\n", /cannot load .*top-level\.js: Error: top-level boom/],
  'not-installed.js': ["import { deterministicFallback } from 'no-such-package-here'\nexport default { name: 'x', runBatch: deterministicFallback }\n", /cannot load .*not-installed\.js: Error: Cannot find package 'no-such-package-here'/],
  'no-acheron.js': ["import { deterministicFallback } from 'acheron/testing'\nexport default { name: 'x', runBatch: deterministicFallback }\n", /Cannot find package 'acheron' .* \(it imports acheron from its own directory: `npm install acheron` in its project\)/],
  'two.js': ["export const a = { name: 'a', runBatch() {} }\nexport const b = { name: 'b', runBatch() {} }\n", /two\.js exports 2 Protocols \(a, b\) and none as its default export or as `protocol`/],
  'none.js': ["export const x = 1\nexport default { name: 'no-run-batch' }\n", /none\.js exports no Protocol .*; it exports default, x/],
}

test('a module that does not load or exports no single Protocol is refused naming it and why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-protocol-loader-'))
  try {
    for (const [name, [source, message]] of Object.entries(MODULES)) {
      const file = join(dir, name)
      writeFileSync(file, source)
      try {
        await loadProtocol(file)
        assert.unreachable(`${name} loaded`)
      } catch (err) {
        assert.instance(err, UsageError, `${name}: ${String(err)}`)
        assert.match((err as Error).message, message)
      }
    }
    const args = ['check', '--protocol', join(dir, 'syntax.js'), '--runs', '1']
    const r = await runCli(args)
    assert.is(r.code, 2, describeRun(args, r))
    assert.match(r.stderr, /--protocol: cannot load .*syntax\.js: SyntaxError/, describeRun(args, r))
    // A top-level await that never settles (only the command can show it: the process is left with
    // nothing to wait on). It exited 0 with no output.
    writeFileSync(join(dir, 'stalls.js'), "await new Promise(() => {})\nexport default { name: 'stalls', async runBatch() {} }\n")
    const stalls = ['check', '--protocol', join(dir, 'stalls.js'), '--runs', '1', '--property', 'replay']
    const s = await runCli(stalls)
    assert.is(s.code, 2, describeRun(stalls, s))
    assert.match(s.stderr, /--protocol: cannot load .*stalls\.js: Error: its top-level await never settled/, describeRun(stalls, s))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the replay command printed for a --protocol module in a directory with a space replays it', async () => {
  // It printed the path unquoted: pasted into a shell, the command loaded `.../my` and exited 2.
  const dir = mkdtempSync(join(tmpdir(), 'acheron-protocol-loader-'))
  try {
    mkdirSync(join(dir, 'my protocols'))
    const file = join(dir, 'my protocols', 'boom.js')
    writeFileSync(file, "export default { name: 'boom', async runBatch() { throw new Error('boom protocol') } }\n")
    const args = ['check', '--protocol', file, '--property', 'replay', '--runs', '1', '--txns', '5', '--workers', '0', '--seed', '1', '--no-shrink']
    const r = await runCli(args)
    assert.is(r.code, 1, describeRun(args, r))
    const printed = /replay: acheron (check .*)$/m.exec(r.stdout)?.[1]
    assert.ok(printed !== undefined, describeRun(args, r))
    const again = spawnSync('sh', ['-c', `${shellQuote(process.execPath)} ${shellQuote(MAIN)} ${printed}`], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    assert.is(again.status, 1, `${printed}\n${again.stdout}\n${again.stderr}`)
    assert.match(again.stdout, /FAIL replay .*boom protocol/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})


test("a name Object's prototype holds (constructor, toString, __proto__) is no built-in protocol", async () => {
  // It was: loadProtocol returned Object's own function, every batch failed, and the check said FAIL.
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    try {
      await loadProtocol(name)
      assert.unreachable(`${name} loaded`)
    } catch (err) {
      assert.instance(err, UsageError, `${name}: ${String(err)}`)
      assert.match((err as Error).message, `'${name}' is neither a built-in protocol (aria, calvin, serial) nor a .js module`)
    }
    assert.throws(() => protocolByName(name), (err: Error) => err.message === `unknown protocol '${name}' (known: aria, calvin, serial)`)
  }
  assert.is((await loadProtocol('calvin')).name, 'calvin')
  assert.is(protocolByName('serial').name, 'serial')
})

test.run()
