#!/usr/bin/env node
// Builds the browser console's script: static/console/src/main.js and everything it imports (our modules
// and npm packages such as CodeMirror) bundled by esbuild into one file, dist/console/console.js, which
// the server sends as /console.js. The page loads nothing from elsewhere (its CSP allows only 'self').
//
// Usage: node scripts/build-console.js
import { build } from 'esbuild'
import { dirname, join, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')

await build({
  entryPoints: [join(root, 'static', 'console', 'src', 'main.js')],
  outfile: join(root, 'dist', 'console', 'console.js'),
  bundle: true,
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'eof',
  logLevel: 'warning',
})
