/**
 * Outbound calls a tenant (or an operator's webhook setting) chooses the address of — pingbacks, alert webhooks —
 * go only to public unicast addresses, so nobody can use CaptchaDesk to reach the operator's own network.
 * Every address form is normalised with ipaddr.js before the check: decimal/octal/hex IPv4 (the URL parser already
 * turns `http://2130706433/` into 127.0.0.1), IPv4-mapped and IPv4-compatible IPv6, NAT64 (64:ff9b::/96), 6to4
 * (2002::/16) and Teredo carry an IPv4 address that is checked itself. The request then connects to the very
 * address that was checked (the name is resolved once; no second lookup can swap it).
 */
import { lookup } from 'node:dns/promises'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

type Addr = ipaddr.IPv4 | ipaddr.IPv6

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo), if any. */
function embeddedIPv4(a: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = a.range()
  const p = a.parts
  if (a.isIPv4MappedAddress()) return a.toIPv4Address()
  const ipv4Compatible = p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1) // ::a.b.c.d
  if (range === 'rfc6052' || range === 'rfc6145' || ipv4Compatible)
    // NAT64 64:ff9b::/96, SIIT ::ffff:0:0:0/96, IPv4-compatible: the last 32 bits.
    return ipaddr.IPv4.parse(`${p[6]! >> 8}.${p[6]! & 255}.${p[7]! >> 8}.${p[7]! & 255}`)
  if (range === '6to4') return ipaddr.IPv4.parse(`${p[1]! >> 8}.${p[1]! & 255}.${p[2]! >> 8}.${p[2]! & 255}`)
  if (range === 'teredo') {
    // The client's address is the last 32 bits, inverted.
    const a6 = p[6]! ^ 0xffff
    const a7 = p[7]! ^ 0xffff
    return ipaddr.IPv4.parse(`${a6 >> 8}.${a6 & 255}.${a7 >> 8}.${a7 & 255}`)
  }
  return undefined
}

function isPublic(a: Addr): boolean {
  if (a.kind() === 'ipv4') return a.range() === 'unicast'
  const v6 = a as ipaddr.IPv6
  const inner = embeddedIPv4(v6)
  if (inner) return inner.range() === 'unicast'
  return v6.range() === 'unicast'
}

/** Whether `ip` (any textual form) is a public unicast address. Anything that does not parse is not. */
export function isPublicAddress(ip: string): boolean {
  const text = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  let a: Addr
  try {
    a = ipaddr.parse(text)
  } catch {
    return false
  }
  return isPublic(a)
}

/** The complement, for callers that think in those terms (tests, the console's explanation). */
export function isPrivateAddress(ip: string): boolean {
  return !isPublicAddress(ip)
}

export class DestinationRefusedError extends Error {
  override name = 'DestinationRefusedError'
}

/**
 * Resolves `hostname` once and returns an address to connect to: every address it resolves to must be public
 * (a name with one private address is refused whole). `allowLoopback` (tests only) also admits loopback.
 */
async function resolvePublicAddress(
  hostname: string,
  options: { allowLoopback?: boolean } = {},
): Promise<{ address: string; family: 4 | 6 }> {
  const host = hostname.replace(/^\[|\]$/g, '')
  const ok = (ip: string): boolean => {
    if (isPublicAddress(ip)) return true
    if (!options.allowLoopback) return false
    try {
      const a = ipaddr.process(ip)
      return a.range() === 'loopback'
    } catch {
      return false
    }
  }
  let addresses: Array<{ address: string; family: number }>
  if (ipaddr.isValid(host)) {
    const a = ipaddr.process(host)
    addresses = [{ address: a.toString(), family: a.kind() === 'ipv4' ? 4 : 6 }]
  } else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true })
    } catch {
      throw new DestinationRefusedError(`The name ${host.slice(0, 100)} does not resolve.`)
    }
  }
  if (addresses.length === 0 || !addresses.every((a) => ok(a.address)))
    throw new DestinationRefusedError('The destination is not a public address.')
  const first = addresses[0]!
  return { address: first.address, family: first.family === 6 ? 6 : 4 }
}

/** Kept for callers that only need a yes/no (resolves, never throws). */
export async function isPublicDestination(hostname: string): Promise<boolean> {
  try {
    await resolvePublicAddress(hostname)
    return true
  } catch {
    return false
  }
}

export interface OutboundRequest {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  timeoutMs?: number
  allowLoopback?: boolean
}

/**
 * One HTTP(S) request to a public destination, connecting to the address that was checked (pinned through the
 * socket's lookup), no redirects followed, the reply body read and dropped (at most 64 KiB). Resolves with the
 * status code; rejects on a refused destination, a network error or the timeout.
 */
export async function requestPublicUrl(url: URL, req: OutboundRequest = {}): Promise<number> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new DestinationRefusedError('Only http and https destinations are allowed.')
  if (url.username || url.password)
    throw new DestinationRefusedError('Credentials in the URL are not allowed.')
  const pinned = await resolvePublicAddress(url.hostname, { allowLoopback: req.allowLoopback })
  const pin: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all)
      (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [pinned])
    else cb(null, pinned.address, pinned.family)
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<number>((resolve, reject) => {
    const r = send(
      url,
      {
        method: req.method ?? 'GET',
        headers: req.headers,
        lookup: pin,
        timeout: req.timeoutMs ?? 10_000,
      },
      (res: IncomingMessage) => {
        let seen = 0
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length
          if (seen > 65_536) res.destroy()
        })
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('close', () => resolve(res.statusCode ?? 0))
        res.on('error', () => resolve(res.statusCode ?? 0))
      },
    )
    r.on('timeout', () => r.destroy(new Error('timed out')))
    r.on('error', reject)
    r.end(req.body)
  })
}
