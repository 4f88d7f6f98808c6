// Headless Chromium for the browser-console tests: Debian's `chromium` (installed by .ci/run when
// missing) driven by playwright-core, which downloads no browser of its own.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** ACHERON_CHROMIUM overrides the binary. */
export const CHROMIUM_PATH = process.env.ACHERON_CHROMIUM ?? '/usr/bin/chromium'
/** How long a page waits for an element or a condition before the test fails (a slow, shared CI machine). */
export const PAGE_TIMEOUT_MS = 30_000

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: run .ci/run, or apt-get install -y --no-install-recommends chromium (or set ACHERON_CHROMIUM)`)
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // --no-sandbox: CI runs as root in a container; --disable-dev-shm-usage: a small /dev/shm there.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: PAGE_TIMEOUT_MS,
  })
}
