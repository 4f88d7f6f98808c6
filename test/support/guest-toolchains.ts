// The Rust and C guest modules (guest/rust, guest/c), built by scripts/build-guests.js into dist/guest/
// when Debian's rustc (libstd-rust-dev-wasm32) and clang + lld are installed. Without a toolchain its
// tests are skipped — counted and named by scripts/run-tests.js, never passed — unless
// ACHERON_REQUIRE_GUEST_TOOLCHAINS=1 (.ci/run sets it), where they run and fail on the missing module.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'

export const ROOT = new URL('../../../', import.meta.url).pathname

export type GuestLanguage = 'assemblyscript' | 'rust' | 'c'
/** Why each native toolchain is missing (null: it is here), as the build found it. */
type Missing = Record<'rust' | 'c', string | null>

function buildGuests(): Missing {
  // A no-op when up to date; it is what writes toolchains.json, so the answer is this machine's.
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-guests.js')], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`build-guests failed: ${r.stderr}${r.stdout}`)
  return JSON.parse(readFileSync(join(ROOT, 'dist', '.guest-build', 'toolchains.json'), 'utf8')) as Missing
}

const missing = buildGuests()
const required = process.env.ACHERON_REQUIRE_GUEST_TOOLCHAINS === '1'

/** Why `lang`'s modules are not here, or null. */
export function toolchainMissing(lang: GuestLanguage): string | null {
  return lang === 'assemblyscript' ? null : missing[lang]
}

/** `test` for a test that needs the modules of every one of `langs`: `test.skip` where one is missing. */
export function guestTest(...langs: GuestLanguage[]): typeof test.skip {
  return required || langs.every((l) => toolchainMissing(l) === null) ? test : test.skip
}

for (const lang of ['rust', 'c'] as const) {
  const why = missing[lang]
  // scripts/run-tests.js echoes lines starting SKIPPED: beside its totals.
  if (why !== null && !required) console.log(`SKIPPED: ${why}: the ${lang === 'rust' ? 'Rust' : 'C'} guest tests are not run`)
}

/** The file name in dist/guest/ of example `name` in `lang` (bank → bank.wasm, bank-rust.wasm, bank-c.wasm). */
export function guestFile(name: string, lang: GuestLanguage): string {
  return join(ROOT, 'dist', 'guest', lang === 'assemblyscript' ? `${name}.wasm` : `${name}-${lang}.wasm`)
}

/** The bytes of example `name` in `lang`; an error naming the missing toolchain when it was not built. */
export function guestModule(name: string, lang: GuestLanguage): Uint8Array {
  const why = toolchainMissing(lang)
  if (why !== null) throw new Error(`the ${lang} guest ${name} was not built: ${why}`)
  return new Uint8Array(readFileSync(guestFile(name, lang)))
}
