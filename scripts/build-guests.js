#!/usr/bin/env node
// Builds the guest function modules into dist/guest/*.wasm:
//   guest/assemblyscript/examples/NAME.ts  → dist/guest/NAME.wasm  (assemblyscript, --runtime stub, -O3)
//   guest/assemblyscript/test/NAME.ts      → dist/guest/NAME.wasm  (modules the runtime's tests use)
//   guest/wat/NAME.wat                     → dist/guest/NAME.wasm  (wabt)
//   guest/rust/examples/NAME.rs, guest/c/examples/NAME.c → dist/guest/NAME-rust.wasm, NAME-c.wasm
//                                          (Debian's rustc and clang, when installed: scripts/native-guests.js)
// Idempotent: a module is rebuilt only when an input is newer than its output (asc costs ~8 s cold).
// Usage: node scripts/build-guests.js [--force]
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { buildNativeGuests } from './native-guests.js'

const root = new URL('..', import.meta.url).pathname
const outDir = join(root, 'dist', 'guest')
const asDir = join(root, 'guest', 'assemblyscript')
const asSources = [join(asDir, 'examples'), join(asDir, 'test')]
const watDir = join(root, 'guest', 'wat')
const force = process.argv.includes('--force')
/** Declared memory maximum of the examples, in 64 KiB pages: 1 MiB, well under the default MEMORY limit. */
const AS_MAX_MEMORY_PAGES = 16

const list = (dir, ext) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f)) : [])
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1)
const stale = (out, inputs) => force || inputs.some((i) => mtime(i) >= mtime(out))

async function buildAssemblyScript() {
  const library = list(asDir, '.ts')
  const jobs = asSources.flatMap((d) => list(d, '.ts'))
    .map((src) => ({ src, out: join(outDir, basename(src, '.ts') + '.wasm') }))
    .filter(({ src, out }) => stale(out, [src, ...library]))
  if (jobs.length === 0) return []
  const { default: asc } = await import('assemblyscript/asc')
  for (const { src, out } of jobs) {
    let stderr = ''
    const { error } = await asc.main([
      src, '-o', out, '-O3', '--runtime', 'stub', '--maximumMemory', String(AS_MAX_MEMORY_PAGES), '--noColors',
    ], { stderr: { write: (s) => { stderr += s; return true } } })
    if (error) throw new Error(`asc failed for ${src}: ${error.message}\n${stderr}`)
  }
  return jobs.map((j) => j.out)
}

async function buildWat() {
  const jobs = list(watDir, '.wat')
    .map((src) => ({ src, out: join(outDir, basename(src, '.wat') + '.wasm') }))
    .filter(({ src, out }) => stale(out, [src]))
  if (jobs.length === 0) return []
  const { default: wabtInit } = await import('wabt')
  const wabt = await wabtInit()
  for (const { src, out } of jobs) {
    const m = wabt.parseWat(src, readFileSync(src, 'utf8'), { bulk_memory: true, mutable_globals: true, sign_extension: true, sat_float_to_int: true, multi_value: true })
    try {
      writeFileSync(out, m.toBinary({}).buffer)
    } finally {
      m.destroy()
    }
  }
  return jobs.map((j) => j.out)
}

mkdirSync(outDir, { recursive: true })
const built = [...(await buildWat()), ...(await buildAssemblyScript()), ...buildNativeGuests(root, outDir, force)]
process.stdout.write(built.length === 0 ? 'guests up to date\n' : `built ${built.map((p) => basename(p)).join(', ')}\n`)
