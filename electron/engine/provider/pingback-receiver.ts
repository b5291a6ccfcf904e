/**
 * Pingback in the product: when the operator sets a public callback URL (a host the upstream can reach, such as the
 * headless host on a server behind a reverse proxy), every solve asks the upstream to call
 * `<public URL>/pingback/<secret>` when the task is done, and this receiver hands the answer to the provider client
 * at once. Polling stays on as the fallback, late and rare.
 *
 * The callback is unauthenticated by the protocol (captchaai-protocol.md §6), so:
 * - the path carries a per-process secret (ids are guessable numbers; the secret is not), compared in constant time;
 * - the client accepts only ids it is waiting for (an early one is held briefly, bounded, until its in.php reply
 *   arrives) — an id this key did not submit changes nothing;
 * - GET `?id=&code=` (CaptchaAI) and POST form `id`, `code` (2captcha) are both taken; bodies over 64 KiB refused;
 * - the reply is the same "OK" whether or not the id was ours, so the route tells a caller nothing.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { sendBody } from '../http/send-body'
import type { IncomingMessage, ServerResponse } from 'node:http'

const PINGBACK_PATH = '/pingback'
const MAX_BODY = 64 * 1024

export interface PingbackRoute {
  /** The URL to send upstream with each submit (undefined while no public callback URL is set). */
  callbackUrl(): string | undefined
  /** Handles the request if it is for the pingback route and returns true; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean
}

export interface PingbackRouteDeps {
  /** The operator's public callback URL (Settings; '' when pingback is off), read at each use. */
  publicUrl(): string
  /** Delivers id + code to the provider client; true when it settled one of our tasks. */
  accept(taskId: string, code: string): boolean
  /** Counts for the console or logs; never the answer. */
  onDelivery?(outcome: 'settled' | 'ignored' | 'refused'): void
}

export function createPingbackRoute(
  deps: PingbackRouteDeps,
  secret = randomBytes(18).toString('base64url'),
): PingbackRoute {
  const expected = Buffer.from(secret)
  const secretMatches = (given: string): boolean => {
    const b = Buffer.from(given)
    return b.length === expected.length && timingSafeEqual(b, expected)
  }
  const reply = (res: ServerResponse, status: number, text: string): void => {
    sendBody(res, status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, text)
  }
  const deliver = (res: ServerResponse, params: URLSearchParams): void => {
    const id = params.get('id') ?? ''
    const code = params.get('code') ?? ''
    if (!/^\d{1,30}$/.test(id) || code.length === 0) {
      deps.onDelivery?.('refused')
      return reply(res, 400, 'id and code are required')
    }
    deps.onDelivery?.(deps.accept(id, code) ? 'settled' : 'ignored')
    reply(res, 200, 'OK')
  }
  return {
    callbackUrl() {
      const base = deps.publicUrl().trim().replace(/\/+$/, '')
      return base ? `${base}${PINGBACK_PATH}/${secret}` : undefined
    },
    handle(req, res) {
      // Every gateway request passes here first: most are not callbacks, and parsing their URL cost more than the rest
      // of this check (a spelling of the path that does not contain the word is answered by the gateway as unknown).
      if (!(req.url ?? '').includes('pingback')) return false
      const url = new URL(req.url ?? '/', 'http://callback.invalid')
      const prefix = `${PINGBACK_PATH}/`
      if (!url.pathname.startsWith(prefix)) return false
      if (!deps.publicUrl().trim() || !secretMatches(url.pathname.slice(prefix.length).replace(/\/+$/, ''))) {
        deps.onDelivery?.('refused')
        reply(res, 404, 'Not Found')
        req.resume()
        return true
      }
      if (req.method === 'GET') {
        req.resume()
        deliver(res, url.searchParams)
        return true
      }
      if (req.method !== 'POST') {
        req.resume()
        sendBody(res, 405, { allow: 'GET, POST' })
        return true
      }
      const chunks: Buffer[] = []
      let size = 0
      let tooBig = false
      req.on('data', (c: Buffer) => {
        size += c.length
        if (size > MAX_BODY) {
          if (!tooBig) reply(res, 413, 'Request Entity Too Large')
          tooBig = true
          req.destroy()
        } else chunks.push(c)
      })
      req.on('end', () => {
        if (tooBig) return
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
        for (const [k, v] of url.searchParams) if (!form.has(k)) form.set(k, v)
        deliver(res, form)
      })
      req.on('error', () => undefined)
      return true
    },
  }
}
