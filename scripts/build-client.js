#!/usr/bin/env node
// Builds the light client package (packages/client, published as @acheron/client) from the main build:
// the module graph reachable from dist/src/client/index.js (its .js and .d.ts files) is copied into
// packages/client/dist with the same layout. The source is the same; only what `connect()` needs ships.
//
// The graph may import only relative modules, Node's own (`node:*`) and `ws`: anything else (better-sqlite3,
// binaryen, pino, ...) would make the light client heavy again, so the build fails naming the importer.
//
// Usage: node scripts/build-client.js [FROM TO] (default dist/src and packages/client/dist; tests pass others).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const from = resolve(process.argv[2] ?? join(root, 'dist', 'src'))
const to = resolve(process.argv[3] ?? join(root, 'packages', 'client', 'dist'))
const ALLOWED_BARE = (spec) => spec === 'ws' || spec.startsWith('node:')

// Top-level import/export statements as tsc emits them (at the start of a line, maybe over several
// lines), bare side-effect imports, and dynamic import() of a literal.
const STATIC = /^(?:import|export)\b[^;]*?\bfrom\s*(['"])([^'"]+)\1/gm
const SIDE_EFFECT = /^import\s*(['"])([^'"]+)\1/gm
const DYNAMIC = /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g

function fail(message) {
  process.stderr.write(`build-client: ${message}\n`)
  process.exit(1)
}

function specifiers(text) {
  const out = []
  for (const re of [STATIC, SIDE_EFFECT, DYNAMIC]) for (const m of text.matchAll(re)) out.push(m[2])
  return out
}

/** Every file reachable from `entry` (absolute) following relative imports; `toFile` maps a specifier's path. */
function graph(entry, toFile) {
  const seen = new Set()
  const stack = [entry]
  while (stack.length > 0) {
    const file = stack.pop()
    if (seen.has(file)) continue
    if (!existsSync(file)) fail(`${relative(root, file)} is missing (run the main build first)`)
    seen.add(file)
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) stack.push(toFile(resolve(dirname(file), spec)))
      else if (!ALLOWED_BARE(spec)) {
        fail(`${relative(from, file)} imports '${spec}': the light client may import only ws and node:*`)
      }
    }
  }
  return seen
}

const files = new Set([
  ...graph(join(from, 'client', 'index.js'), (p) => p),
  ...graph(join(from, 'client', 'index.d.ts'), (p) => p.replace(/\.js$/, '.d.ts')),
])
rmSync(to, { recursive: true, force: true })
for (const file of [...files].sort()) {
  const target = join(to, relative(from, file))
  mkdirSync(dirname(target), { recursive: true })
  copyFileSync(file, target)
}
console.log(`build-client: ${files.size} files into ${relative(root, to)}`)
