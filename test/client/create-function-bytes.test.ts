// createFunction(name, wasm) with a path instead of the module's bytes: the natural mistake (FROM WASM FILE
// takes a path). It failed deep inside: Node's ERR_INVALID_ARG_TYPE (no AcheronError) over the wire, an
// INTERNAL "module preparation failed: bytes.subarray is not a function" embedded. Now a TYPE_MISMATCH
// that says what to pass, from both, before anything is sent or sequenced.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createFunctionSql } from '../../src/client/remote.js'
import { AcheronError, open } from '../../src/index.js'

const PATH_MESSAGE = /^createFunction\(\) takes the module's bytes \(a Uint8Array or Buffer\), got a string \("build\/shop\.wasm"\); for a path, pass readFileSync\(path\), or run sql\("CREATE FUNCTION t\.f FROM WASM FILE 'path'"\)$/

function typeMismatch(f: () => unknown, message: RegExp): void {
  try {
    f()
    assert.unreachable('accepted')
  } catch (e) {
    assert.instance(e, AcheronError)
    assert.is((e as AcheronError).code, 'TYPE_MISMATCH')
    assert.match((e as AcheronError).message, message)
  }
}

test('remote: a path, an ArrayBuffer or nothing is a TYPE_MISMATCH saying what to pass', () => {
  typeMismatch(() => createFunctionSql('t.f', 'build/shop.wasm' as unknown as Uint8Array), PATH_MESSAGE)
  typeMismatch(() => createFunctionSql('t.f', new ArrayBuffer(8) as unknown as Uint8Array), /got an ArrayBuffer \(wrap it: new Uint8Array\(buffer\)\)$/)
  typeMismatch(() => createFunctionSql('t.f', undefined as unknown as Uint8Array), /got undefined$/)
  assert.match(createFunctionSql('t.f', Buffer.from([0, 0x61])), /FROM WASM BASE64 'AGE=';$/)
})

test('embedded: a path is the same TYPE_MISMATCH, and nothing ran', async () => {
  const db = await open({ memory: true })
  try {
    await db.sql('CREATE TABLE t (id TEXT PRIMARY KEY)')
    const failed = await db.createFunction('t.f', 'build/shop.wasm' as unknown as Uint8Array).then(() => null, (e: unknown) => e)
    assert.instance(failed, AcheronError)
    assert.is((failed as AcheronError).code, 'TYPE_MISMATCH')
    assert.match((failed as AcheronError).message, PATH_MESSAGE)
    assert.equal((await db.query('SHOW FUNCTIONS')).rows, [])
  } finally {
    await db.close()
  }
})

test.run()
