// The version of this acheron package (package.json), read once: `acheron --version` prints it and the
// server reports it to clients (the wire protocol's "version" op, docs/protocol.md).
import { readFileSync } from 'node:fs'

/** dist/src/version.js → the package root's package.json. */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }

export const ACHERON_VERSION: string = pkg.version ?? 'unknown'
