// What a NATS client error says, for a person, and the wait a node's start makes through such errors. The client's own messages are bare codes ("503",
// "TIMEOUT"); a JetStream refusal keeps the server's description as its chained error: a 503 is
// "jetstream system temporarily unavailable" (a cluster electing its leaders: wait) or "jetstream not
// enabled" (never passes: say so at once).
// (No import of the client: the CLI prints with it whatever command ran, and loads NATS only for a cluster.)

/** The server's description a NatsError keeps as its chained error, if any. */
function chainedText(err: Error): string | undefined {
  const chained = err.name === 'NatsError' ? (err as { chainedError?: unknown }).chainedError : undefined
  return chained instanceof Error ? chained.message : undefined
}

/** The error's message with the server's description when the client kept one. */
export function natsErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const chained = chainedText(err)
  return chained !== undefined && chained !== '' && chained !== err.message ? `${err.message}: ${chained}` : err.message
}

/** A NATS server whose JetStream is off: waiting does not help. */
export function jetStreamDisabled(err: unknown): boolean {
  return err instanceof Error && /jetstream not enabled/i.test(chainedText(err) ?? '')
}

/**
 * `f`, tried again every `retryMs` while it fails with a NATS error (a cluster just started or restarted
 * has no JetStream leader yet), for up to `ms`; past that, or at once when the servers say JetStream is
 * not enabled, it fails with jetStreamUnavailable(`what`). Any other error is thrown as it is.
 */
export async function untilJetStreamAnswers<T>(what: string, ms: number, retryMs: number, f: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await f()
    } catch (err) {
      if (!(err instanceof Error) || err.name !== 'NatsError') throw err
      if (Date.now() > deadline || jetStreamDisabled(err)) throw jetStreamUnavailable(what, ms, err)
      await new Promise((r) => setTimeout(r, retryMs))
    }
  }
}

/**
 * Said when a JetStream request still fails after `ms` of tries: what was being done, and the last
 * error, kept as the cause. A 503 with no description is "no responders": no server took JetStream's
 * requests all that time, as when none runs JetStream.
 */
export function jetStreamUnavailable(what: string, ms: number, err: unknown): Error {
  const jetStreamOn = 'start them with JetStream on (nats-server -js, or jetstream {} in their configuration)'
  if (jetStreamDisabled(err)) return new Error(`${what}: the NATS servers do not run JetStream (${natsErrorText(err)}); ${jetStreamOn}`, { cause: err })
  const s = Math.round(ms / 1000)
  if (err instanceof Error && err.name === 'NatsError' && err.message === '503' && chainedText(err) === undefined) {
    return new Error(`${what}: no NATS server answered JetStream's requests within ${s} s (503, no responders): if they do not run JetStream, ${jetStreamOn}`, { cause: err })
  }
  return new Error(`${what}: the NATS servers' JetStream did not answer within ${s} s (last: ${natsErrorText(err)}); is a majority of the NATS cluster up?`, { cause: err })
}
