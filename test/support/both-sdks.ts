// The SDK's Database interface is one: a test that holds it to that runs the same steps on an embedded
// database in memory and through connect() to a fresh `acheron serve`, and compares.
import { connect, open, type Database } from '../../src/index.js'
import { startServer } from './server-process.js'

/** What `run` gives embedded (in memory), then remote (a server of its own, stopped after). */
export async function embeddedThenRemote<T>(run: (db: Database) => Promise<T>): Promise<{ embedded: T; remote: T }> {
  const local = await open({ memory: true })
  let embedded: T
  try {
    embedded = await run(local)
  } finally {
    await local.close()
  }
  const server = await startServer()
  try {
    const db = await connect(server.url)
    try {
      return { embedded, remote: await run(db) }
    } finally {
      await db.close()
    }
  } finally {
    await server.stop()
  }
}
