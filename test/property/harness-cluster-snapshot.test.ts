// The cluster mutant snapshot-resumes-late, caught by the crash property (see harness-cluster.test.ts).
import { test } from 'uvu'
import { clusterMutantTests } from './mutant-catchers.js'

clusterMutantTests(['snapshot-resumes-late'])

test.run()
