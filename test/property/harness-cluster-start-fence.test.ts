// The cluster mutant writer-skips-start-fence, caught by the crash property (see harness-cluster.test.ts).
import { test } from 'uvu'
import { clusterMutantTests } from './mutant-catchers.js'

clusterMutantTests(['writer-skips-start-fence'])

test.run()
