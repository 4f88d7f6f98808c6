// Whether a port can be listened on, and why not in the options' terms: `acheron serve` says it before
// its data directory is opened, `acheron cluster --port` before anything starts.
import { createServer } from 'node:net'

/** Listens on host:port and closes at once: throws listenFailure's error when the address cannot be had. */
export function probeListen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', (err) => reject(listenFailure(err, host, port)))
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()))
  })
}

/** Why `serve` could not listen, said in the options' terms (Node's own message names a syscall). */
export function listenFailure(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code
  const at = `${host}:${port}`
  switch (code) {
    case 'EADDRINUSE': return new Error(`cannot listen on ${at}: another process is using the port (choose another with --port, or 0 for any free one)`)
    case 'EACCES': return new Error(`cannot listen on ${at}: not permitted (ports below 1024 need privileges; choose another with --port)`)
    case 'EADDRNOTAVAIL': return new Error(`cannot listen on ${at}: ${host} is no address of this machine (--host)`)
    case 'ENOTFOUND': case 'EAI_AGAIN': return new Error(`cannot listen on ${at}: the host name ${host} does not resolve (--host)`)
    default: return err
  }
}
