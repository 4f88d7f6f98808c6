// Headless Chromium for the browser-console tests: Debian's `chromium` (installed by .ci/run when
// missing) driven by playwright-core, which downloads no browser of its own.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { test } from 'uvu'

/** ACHERON_CHROMIUM overrides the binary. */
export const CHROMIUM_PATH = process.env.ACHERON_CHROMIUM ?? '/usr/bin/chromium'
/** How long a page waits for an element or a condition before the test fails (a slow, shared CI machine). */
export const PAGE_TIMEOUT_MS = 30_000

/**
 * Whether the browser tests run. Without Chromium they are skipped — counted and named by
 * scripts/run-tests.js, never passed — unless ACHERON_REQUIRE_BROWSER=1 (.ci/run sets it), where they run
 * and fail on the missing browser.
 */
export const BROWSER_TESTS_RUN = existsSync(CHROMIUM_PATH) || process.env.ACHERON_REQUIRE_BROWSER === '1'

/** `test` for a test that needs Chromium: `test.skip` where there is none (see BROWSER_TESTS_RUN). */
export const browserTest: typeof test.skip = BROWSER_TESTS_RUN ? test : test.skip
if (!BROWSER_TESTS_RUN) {
  // scripts/run-tests.js echoes lines starting SKIPPED: beside its totals.
  console.log(`SKIPPED: no Chromium at ${CHROMIUM_PATH}: the browser tests are not run (apt-get install -y chromium, or set ACHERON_CHROMIUM)`)
}

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
