// Finds and runs the AssemblyScript compiler for a function project. Never `npx asc`: in a project
// without assemblyscript installed that fetches an unrelated npm package named "asc". The compiler is
// the project's own (node_modules/assemblyscript, searched upwards as Node does), else the one this
// acheron package can import; it runs through its API (`asc.main`), in this process.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * The flags every Acheron function module is compiled with (scripts/build-guests.js uses the same):
 * the stub runtime (a bump allocator: every invocation starts from a fresh instance, so nothing needs
 * freeing), full optimisation, a declared memory maximum (a module must declare one), no colours.
 */
export const ASC_MAX_MEMORY_PAGES = 16
/** The flags, with a declared maximum of `maxMemoryPages` pages (`acheron fn build --max-memory`). */
export function ascFlags(maxMemoryPages = ASC_MAX_MEMORY_PAGES): readonly string[] {
  return ['-O3', '--runtime', 'stub', '--maximumMemory', String(maxMemoryPages), '--noColors']
}
export const ASC_FLAGS: readonly string[] = ascFlags()

interface AscModule {
  main(argv: string[], options: { stdout?: { write(s: string): boolean }; stderr?: { write(s: string): boolean } }): Promise<{ error: Error | null }>
}

export class CompilerMissing extends Error {}

/** node_modules/assemblyscript's compiler entry, from `dir` upwards; null when none is installed. */
function projectCompilerPath(dir: string): { file: string; version: string } | null {
  for (let d = dir; ; d = dirname(d)) {
    const pkgFile = join(d, 'node_modules', 'assemblyscript', 'package.json')
    if (existsSync(pkgFile)) {
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version?: string; exports?: Record<string, { import?: string } | string> }
      const entry = pkg.exports?.['./asc']
      const rel = typeof entry === 'string' ? entry : entry?.import ?? './dist/asc.js'
      return { file: join(dirname(pkgFile), rel), version: pkg.version ?? 'unknown' }
    }
    if (dirname(d) === d) return null
  }
}

/** The compiler for the project at `dir`, and which one it is (for the build's first line). */
export async function loadCompiler(dir: string): Promise<{ asc: AscModule; from: string }> {
  const found = projectCompilerPath(dir)
  if (found !== null) {
    const mod = (await import(pathToFileURL(found.file).href)) as { default: AscModule }
    return { asc: mod.default, from: `assemblyscript ${found.version} (${dirname(dirname(found.file))})` }
  }
  try {
    const mod = (await import('assemblyscript/asc')) as { default: AscModule }
    return { asc: mod.default, from: 'assemblyscript (the copy acheron was installed with)' }
  } catch {
    throw new CompilerMissing('the AssemblyScript compiler is not installed: run `npm install` in the project (it lists assemblyscript as a dev dependency), or `npm install --save-dev assemblyscript`. (`npx asc` is a different npm package.)')
  }
}

/** Compiles `src` to `out` (paths relative to `baseDir`); the compiler's messages on failure, else null. */
export async function compileModule(asc: AscModule, baseDir: string, src: string, out: string, maxMemoryPages = ASC_MAX_MEMORY_PAGES): Promise<string | null> {
  let messages = ''
  const sink = { write: (s: string) => { messages += s; return true } }
  const { error } = await asc.main([src, '-o', out, ...ascFlags(maxMemoryPages), '--baseDir', baseDir], { stdout: sink, stderr: sink })
  return error === null ? null : (messages.trim() || error.message)
}
