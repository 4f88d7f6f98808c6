// Two slips of the function kit a walkthrough found: `fn init --acheron-spec file:PATH` wrote PATH, typed
// relative to where init ran, into a package.json that npm reads relative to the project; and a rustup
// rustc without the wasm32 target was told to install Debian's package, which serves Debian's rustc only.
import { chmodSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRelativeSpec } from '../../src/cli/fn-command.js'
import { rustMissing } from '../../src/fnkit/native.js'
import { tempDir } from '../support/tmp.js'

test('a local --acheron-spec names, from the project, the path typed from the current directory', () => {
  const project = resolve('sub', 'deep', 'app')
  for (const typed of ['file:../acheron-0.1.0.tgz', '../acheron-0.1.0.tgz', './clone', 'file:clone']) {
    const spec = projectRelativeSpec(typed, project)
    assert.ok(spec.startsWith('file:'), spec)
    const meant = resolve(typed.startsWith('file:') ? typed.slice(5) : typed)
    assert.is(resolve(project, spec.slice(5)), meant, `${typed} → ${spec}`)
  }
  // Registry ranges and absolute paths are npm's as typed.
  for (const kept of ['^0.1.0', 'latest', 'file:/opt/acheron.tgz', '/opt/acheron.tgz']) assert.is(projectRelativeSpec(kept, project), kept)
})

test('a rustc outside /usr without the wasm32 standard library is told to add the target with rustup', () => {
  const { dir, cleanup } = tempDir()
  try {
    const rustc = join(dir, 'rustc')
    // A stand-in rustc whose sysroot (the directory itself) has no lib/rustlib/wasm32-unknown-unknown.
    writeFileSync(rustc, `#!/bin/sh\necho ${dir}\n`)
    chmodSync(rustc, 0o755)
    assert.match(rustMissing(rustc) ?? '', /has no standard library for wasm32-unknown-unknown \(rustup target add wasm32-unknown-unknown\)/)
  } finally {
    cleanup()
  }
})

test.run()
