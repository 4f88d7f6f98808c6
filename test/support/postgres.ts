// PostgreSQL for the tests of `acheron bench --peers`: the Debian postgresql-15 binaries (PG_BIN
// overrides the folder). Without them those tests are skipped — counted and named by
// scripts/run-tests.js, never passed — unless ACHERON_REQUIRE_POSTGRES=1, where they run and fail.
import { test } from 'uvu'
import { postgresMissing } from '../../src/bench/postgres-system.js'

const missing = postgresMissing()
export const POSTGRES_TESTS_RUN = missing === null || process.env.ACHERON_REQUIRE_POSTGRES === '1'

/** `test` for a test that needs PostgreSQL: `test.skip` where it is missing (see POSTGRES_TESTS_RUN). */
export const postgresTest: typeof test.skip = POSTGRES_TESTS_RUN ? test : test.skip
if (!POSTGRES_TESTS_RUN) {
  // scripts/run-tests.js echoes lines starting SKIPPED: beside its totals.
  console.log(`SKIPPED: ${missing}: the PostgreSQL peer tests of acheron bench are not run (apt-get install -y postgresql-15)`)
}
