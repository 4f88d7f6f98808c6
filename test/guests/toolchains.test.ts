// scripts/native-guests.js without the toolchains: each missing piece is named with what installs it,
// and the build goes on (npm start works on a machine without rustc or clang).
import { spawnSync } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tempDir } from '../support/tmp.js'
import { ROOT } from '../support/guest-toolchains.js'

const native = await import(new URL('../../../scripts/native-guests.js', import.meta.url).href) as {
  rustMissing(rustc?: string): string | null
  cMissing(clang?: string): string | null
}

test('a missing rustc, a rustc without the wasm32 std, a missing clang or wasm-ld: each named with its apt package', () => {
  assert.match(native.rustMissing('/nonexistent/rustc') ?? '', /^no \/nonexistent\/rustc \(apt-get install .*rustc libstd-rust-dev-wasm32\)$/)
  assert.match(native.cMissing('/nonexistent/clang') ?? '', /^no \/nonexistent\/clang \(apt-get install .*clang lld\)$/)
  const { dir, cleanup } = tempDir()
  try {
    // A rustc whose sysroot has no wasm32-unknown-unknown standard library (rustup's, without the target).
    const rustc = join(dir, 'rustc')
    writeFileSync(rustc, `#!/bin/sh\necho ${dir}\n`)
    chmodSync(rustc, 0o755)
    assert.match(native.rustMissing(rustc) ?? '', /has no standard library for wasm32-unknown-unknown \(apt-get install -y libstd-rust-dev-wasm32\)/)
    // A clang with no wasm-ld beside it.
    const clang = join(dir, 'clang')
    writeFileSync(clang, '#!/bin/sh\n')
    assert.match(native.cMissing(clang) ?? '', /no wasm-ld beside .*\(apt-get install -y lld\)/)
  } finally {
    cleanup()
  }
})

test('the build without the toolchains succeeds and says loudly what it did not build', () => {
  const build = (env: Record<string, string>) => spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-guests.js')], { encoding: 'utf8', env: { ...process.env, ...env } })
  try {
    const r = build({ ACHERON_RUSTC: '/nonexistent/rustc', ACHERON_CLANG: '/nonexistent/clang' })
    assert.is(r.status, 0, r.stderr)
    assert.match(r.stderr, /NOTICE: the Rust guest examples are not built: no \/nonexistent\/rustc/)
    assert.match(r.stderr, /NOTICE: the C guest examples are not built: no \/nonexistent\/clang/)
  } finally {
    // toolchains.json is this machine's answer again, for the other guest tests.
    assert.is(build({}).status, 0)
  }
})

test.run()
