/**
 * Loads binaryen once per thread. binaryen is ESM-only with top-level await, so it is import()ed, and its
 * typings miss the expression setters used by the fuel pass; `Binaryen` adds them.
 */
import type binaryenDefault from 'binaryen'

type B = typeof binaryenDefault
export type BinaryenModule = binaryenDefault.Module
export type ExpressionRef = binaryenDefault.ExpressionRef
export type FunctionRef = binaryenDefault.FunctionRef

export type Binaryen = Omit<B, 'readBinary'> & {
  readBinary(data: Uint8Array, features?: number): BinaryenModule
  Loop: { setBody(loop: ExpressionRef, body: ExpressionRef): void }
  If: { setIfTrue(expr: ExpressionRef, arm: ExpressionRef): void; setIfFalse(expr: ExpressionRef, arm: ExpressionRef): void }
  MemoryGrow: { setDelta(expr: ExpressionRef, delta: ExpressionRef): void }
  Function: { setBody(func: FunctionRef, body: ExpressionRef): void }
}

let loaded: Promise<Binaryen> | undefined

export function loadBinaryen(): Promise<Binaryen> {
  loaded ??= import('binaryen').then((m) => m.default as unknown as Binaryen)
  return loaded
}

/**
 * Runs `fn` while capturing what binaryen prints: its validator reports problems on stdout/stderr through
 * console methods it bound at load time, so the streams themselves are swapped, synchronously.
 */
export function capturingOutput<T>(fn: () => T): { value: T; output: string } {
  const out = process.stdout.write
  const err = process.stderr.write
  let output = ''
  const sink = ((chunk: string | Uint8Array) => {
    output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return true
  }) as typeof process.stdout.write
  process.stdout.write = sink
  process.stderr.write = sink
  try {
    return { value: fn(), output }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}
