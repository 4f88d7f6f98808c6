/** A property's verdict against a run: what was expected, what the engine did (thrown to fast-check). */
export class PropertyFailure extends Error {
  override readonly name = 'PropertyFailure'
}

export function expect(cond: boolean, message: () => string): asserts cond {
  if (!cond) throw new PropertyFailure(message())
}

/** Structural equality of plain data (arrays, objects, primitives, bigint), for comparing replies and rows. */
export function sameData(a: unknown, b: unknown): boolean {
  return stableText(a) === stableText(b)
}

export function stableText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `${x}n`
    if (x instanceof Uint8Array) return `X'${Buffer.from(x).toString('hex')}'`
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      return Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))
    }
    return x
  })
}
