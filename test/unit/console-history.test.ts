// The browser console's query history (static/console/src/history.js, run here in Node over a stand-in for
// localStorage): two console windows of one browser share it, and neither writes away the other's runs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'

interface Entry { sql: string; ok: boolean; at: string }
interface History { entries(): Entry[]; add(sql: string, ok: boolean): void; reload(): void; clear(): void }
interface HistoryModule { createHistory(storage: Storage): History; HISTORY_STORAGE_KEY: string }
interface Storage { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void }
// Plain JavaScript for the browser, outside the TypeScript project: imported by URL, typed here.
const history = (await import(new URL('../../../static/console/src/history.js', import.meta.url).href)) as HistoryModule

/** One origin's localStorage, as two windows of a browser share it. */
function memoryStorage(): Storage {
  const items = new Map<string, string>()
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => { items.set(key, value) },
    removeItem: (key) => { items.delete(key) },
  }
}

const scripts = (h: History): string[] => h.entries().map((e) => e.sql)

test('two windows: each run is added to the stored history, not written over the other window\'s', () => {
  const storage = memoryStorage()
  const a = history.createHistory(storage)
  const b = history.createHistory(storage)
  a.add('SELECT 1;', true)
  b.add('SELECT 2;', true)
  a.add('SELECT 3;', false)
  // A reload (a third window) sees all three, newest first.
  assert.equal(scripts(history.createHistory(storage)), ['SELECT 3;', 'SELECT 2;', 'SELECT 1;'])
  assert.equal(scripts(a), ['SELECT 3;', 'SELECT 2;', 'SELECT 1;'])
  // B's list takes in A's run when told (the storage event).
  b.reload()
  assert.equal(scripts(b), ['SELECT 3;', 'SELECT 2;', 'SELECT 1;'])
  // The same script run again in the other window moves to the top, once.
  b.add('SELECT 1;', true)
  assert.equal(scripts(history.createHistory(storage)), ['SELECT 1;', 'SELECT 3;', 'SELECT 2;'])
})

test('a history cleared in one window stays cleared when the other runs a script', () => {
  const storage = memoryStorage()
  const a = history.createHistory(storage)
  const b = history.createHistory(storage)
  a.add('SELECT 1;', true)
  b.reload()
  a.clear()
  b.add('SELECT 2;', true)
  assert.equal(scripts(history.createHistory(storage)), ['SELECT 2;'])
})

test('storage that cannot be read: the page keeps its own history', () => {
  const broken: Storage = {
    getItem: () => { throw new Error('SecurityError: storage is disabled') },
    setItem: () => { throw new Error('SecurityError: storage is disabled') },
    removeItem: () => { throw new Error('SecurityError: storage is disabled') },
  }
  const h = history.createHistory(broken)
  h.add('SELECT 1;', true)
  h.add('SELECT 2;', true)
  assert.equal(scripts(h), ['SELECT 2;', 'SELECT 1;'])
})

test.run()
