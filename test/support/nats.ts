// NATS servers for the tests of the JetStream batch log: Debian's nats-server (NATS_SERVER overrides the
// path). Without it those tests are skipped — counted and named by scripts/run-tests.js, never passed —
// unless ACHERON_REQUIRE_NATS=1 (as in .ci/run), where they run and fail.
import { test } from 'uvu'
import { natsServerMissing, startLocalNats, type LocalNats } from '../../src/cluster/local-nats.js'
import { tempDir } from './tmp.js'

const missing = natsServerMissing()
export const NATS_TESTS_RUN = missing === null || process.env.ACHERON_REQUIRE_NATS === '1'

/** `test` for a test that needs nats-server: `test.skip` where it is missing (see NATS_TESTS_RUN). */
export const natsTest: typeof test.skip = NATS_TESTS_RUN ? test : test.skip
if (!NATS_TESTS_RUN) {
  // scripts/run-tests.js echoes lines starting SKIPPED: beside its totals.
  console.log(`SKIPPED: ${missing}: the JetStream batch log tests are not run (apt-get install -y nats-server)`)
}

/** Runs `body` with `nodes` fresh NATS servers (JetStream on; routed as a cluster when more than one), stopped after. */
export async function withNats<T>(nodes: number, body: (nats: LocalNats) => Promise<T>): Promise<T> {
  const { dir, cleanup } = tempDir('acheron-nats-')
  const nats = await startLocalNats(dir, nodes)
  try {
    return await body(nats)
  } finally {
    await nats.stop()
    cleanup()
  }
}

/** `f`, asked again while a NATS cluster settles (no JetStream leader yet, a request timing out), up to 200 times. */
export async function settled<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f()
    } catch (err) {
      if (i >= 200) throw err
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}
