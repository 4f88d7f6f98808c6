/** Shared set-up of the wasm runtime's tests: one runtime per suite, guest modules built on demand. */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AcheronError, type ErrorCode } from '../../src/errors.js'
import { createRuntime } from '../../src/wasm-exec/runtime.js'
import { FakeDb } from './fake-context.js'

export const root = new URL('../../../', import.meta.url).pathname
export const runtime = await createRuntime()

export function newDb(): FakeDb {
  return new FakeDb(runtime)
}

let built = false
/** A module from dist/guest, building the guests first (a no-op when they are up to date). */
export function guest(name: string): Uint8Array {
  if (!built) {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-guests.js')], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`build-guests failed: ${r.stderr}${r.stdout}`)
    built = true
  }
  return new Uint8Array(readFileSync(join(root, 'dist', 'guest', `${name}.wasm`)))
}

/** Runs `fn` and returns what it threw (failing if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected an error, none was thrown')
}

/** Asserts that `fn` throws an AcheronError with `code` (and a message matching `message`). */
export function expectCode(fn: () => unknown, code: ErrorCode, message?: RegExp): AcheronError {
  const e = thrown(fn)
  if (!(e instanceof AcheronError)) throw new Error(`expected AcheronError ${code}, got ${String(e)}`)
  if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`)
  if (message !== undefined && !message.test(e.message)) throw new Error(`message '${e.message}' does not match ${String(message)}`)
  return e
}
