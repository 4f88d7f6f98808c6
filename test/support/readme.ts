// The README's TypeScript examples ("Using the engine from TypeScript"), as the tests that run them
// verbatim read them: test/unit/readme-examples.test.ts (from the clone) and test/package/tarball.test.ts
// (from a project that installed the packed tarball).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The ```ts blocks of the README's section "Using the engine from TypeScript", in order. */
export function readmeExamples(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Using the engine from TypeScript'))
  const end = section.indexOf('\n## ', 4)
  return [...(end < 0 ? section : section.slice(0, end)).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string)
}
