// A batch log whose close() fails after closing it (a disk gone at shutdown), for the tests of what a failed
// close leaves behind: the embedded database's state (test/client/close-failed) and the server's
// connections (test/server/close-failed).
import type { BatchLog } from '../../src/log/batch-log.js'

/** `log`, whose close() closes it and then fails. */
export function failingClose(log: BatchLog): BatchLog {
  return new Proxy(log, {
    get(target, prop) {
      if (prop === 'close') return async () => { await target.close(); throw new Error('the disk went away') }
      const v: unknown = Reflect.get(target, prop, target)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}
