// `acheron check --path P` replays one counterexample: the input fast-check generates at that path, run
// once. fast-check's own replay (`fc.check` given the path) goes on past it, through the runs after it
// (a path `3` ran runs 3 to 3 + --runs) or through every shrink after it (`3:0:1` of seed 1 ran 1,111
// inputs, 42 s), and a replay that passed printed that count as "1111 passed".
import fc from 'fast-check'

/** What replaying a path found, in the words of fast-check's RunDetails that the report reads. */
export interface PathReplay<T> {
  readonly failed: boolean
  /** 1: the counterexample; 0 when the path names no input (fast-check's walk ended before it). */
  readonly numRuns: number
  readonly numShrinks: number
  readonly counterexample: [T] | null
  readonly counterexamplePath: string
  readonly errorInstance: unknown
}

/**
 * `property` as fc.sample recognises a property: by an `isAsync` of its own. The instance fc.asyncProperty
 * returns has it on its prototype, so fc.sample took it for an arbitrary and walked the wrong shrinks
 * ("Unable to replay, got wrong path" for a path fc.check had printed).
 */
function asRawProperty<Ts>(property: fc.IRawProperty<Ts>): fc.IRawProperty<Ts> {
  return {
    isAsync: () => property.isAsync(),
    generate: (mrng, runId) => property.generate(mrng, runId),
    shrink: (value) => property.shrink(value),
    run: (v) => property.run(v),
    runBeforeEach: () => property.runBeforeEach(),
    runAfterEach: () => property.runAfterEach(),
  }
}

/**
 * Runs `check` on the one input `property` generates at `path` under `seed`: the same walk as fast-check's
 * (the seed's runs, then the shrinks the path names), taken by fc.sample, which stops at the first input.
 * A path fast-check cannot walk throws its "Unable to replay" error.
 */
export async function replayPath<T>(property: fc.IRawProperty<[T]>, seed: number, path: string, check: (input: T) => Promise<void>): Promise<PathReplay<T>> {
  const inputs = fc.sample(asRawProperty(property), { seed, path, numRuns: 1 })
  const first = inputs[0]
  if (first === undefined) return { failed: false, numRuns: 0, numShrinks: 0, counterexample: null, counterexamplePath: path, errorInstance: null }
  try {
    await check(first[0])
    return { failed: false, numRuns: 1, numShrinks: 0, counterexample: null, counterexamplePath: path, errorInstance: null }
  } catch (err) {
    return { failed: true, numRuns: 1, numShrinks: 0, counterexample: first, counterexamplePath: path, errorInstance: err }
  }
}
