/**
 * How a protocol call reaches the upstream: a POST of a form, its status and text back.
 *
 * The default is the engine's own HTTP/1.1 client with kept-alive connections per client: cheaper in CPU per call
 * than node:http (less than half: ../http/client/connection-pool.ts) and fetch (no web streams), which matters on a
 * path that runs for every submission and poll. An injected `fetch` (tests, or a caller's own) is used as given.
 */
import { createConnectionPool } from '../http/client/connection-pool'

export interface TransportReply {
  status: number
  text: string
}

export interface Transport {
  /** POSTs `form`, an application/x-www-form-urlencoded body (./upstream-http.ts formBody). */
  post(url: string, form: string, signal: AbortSignal): Promise<TransportReply>
  /** Closes its connections: calls in flight fail. */
  close(): void
}

/** Larger replies are refused: no answer of the protocol comes near it. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024

export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return {
    async post(url, form, signal) {
      const res = await fetchImpl(url, {
        method: 'POST',
        body: form,
        headers: { 'content-type': FORM },
        signal,
      })
      return { status: res.status, text: await res.text() }
    },
    close() {},
  }
}

/** The default: ../http/client/connection-pool.ts, `maxConnections` per origin. */
export function pooledHttpTransport(maxConnections: number): Transport {
  const pool = createConnectionPool({
    maxConnectionsPerOrigin: maxConnections,
    maxReplyBytes: MAX_REPLY_BYTES,
  })
  return {
    async post(url, form, signal) {
      const reply = await pool.post(url, FORM, form, signal)
      return { status: reply.status, text: reply.body.toString('utf8') }
    },
    close: () => pool.close(),
  }
}

const FORM = 'application/x-www-form-urlencoded'
