/**
 * How a protocol call reaches the upstream: a POST of a form, its status and text back.
 *
 * The default is node:http(s) with a keep-alive pool per client: a few times cheaper in CPU per call than fetch
 * (no web streams), which matters on a path that runs for every poll of every task. An injected `fetch` (tests, or
 * a caller's own) is used as given.
 */
import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http'
import { urlToHttpOptions } from 'node:url'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

export interface TransportReply {
  status: number
  text: string
}

export interface Transport {
  post(url: string, form: URLSearchParams, signal: AbortSignal): Promise<TransportReply>
  /** Closes idle pooled connections. */
  close(): void
}

/** Larger replies are refused: no answer of the protocol comes near it. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024

export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return {
    async post(url, form, signal) {
      const res = await fetchImpl(url, { method: 'POST', body: form, signal })
      return { status: res.status, text: await res.text() }
    },
    close() {},
  }
}

export function nodeHttpTransport(maxSockets: number): Transport {
  const http = new HttpAgent({ keepAlive: true, maxSockets })
  const https = new HttpsAgent({ keepAlive: true, maxSockets })
  /** Each endpoint's request options without the per-call ones (a URL object costs ~10 µs per call to turn into these). */
  const targets = new Map<string, RequestOptions>()
  return {
    post(url, form, signal) {
      let target = targets.get(url)
      if (!target) {
        target = urlToHttpOptions(new URL(url))
        if (targets.size < 16) targets.set(url, target)
      }
      const secure = target.protocol === 'https:'
      const body = form.toString()
      return new Promise<TransportReply>((resolve, reject) => {
        const req = (secure ? httpsRequest : httpRequest)(
          {
            ...target,
            method: 'POST',
            agent: secure ? https : http,
            signal,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = []
            let size = 0
            res.on('data', (c: Buffer) => {
              size += c.length
              if (size > MAX_REPLY_BYTES) {
                res.destroy()
                reject(new Error('reply too large'))
              } else chunks.push(c)
            })
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
            )
            res.on('error', reject)
          },
        )
        req.on('error', reject)
        req.end(body)
      })
    },
    close() {
      http.destroy()
      https.destroy()
    },
  }
}
