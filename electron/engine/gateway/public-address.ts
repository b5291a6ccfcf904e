/**
 * Tenants' pingback URLs are called from the operator's machine: refuse destinations inside the operator's network
 * (loopback, private, link-local, CGNAT, unique-local), checked on the resolved addresses, so a tenant cannot use
 * the gateway to reach internal services.
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'

export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a = 0, b = 0] = ip.split('.').map(Number)
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    )
  }
  const v6 = ip.toLowerCase()
  if (v6.startsWith('::ffff:')) return isPrivateAddress(v6.slice(7))
  return (
    v6 === '::1' ||
    v6 === '::' ||
    v6.startsWith('fc') ||
    v6.startsWith('fd') ||
    v6.startsWith('fe80') ||
    v6.startsWith('ff')
  )
}

export async function isPublicDestination(hostname: string): Promise<boolean> {
  const host = hostname.replace(/^\[|\]$/g, '')
  try {
    const addresses = isIP(host) ? [{ address: host }] : await lookup(host, { all: true })
    return addresses.length > 0 && addresses.every((a) => !isPrivateAddress(a.address))
  } catch {
    return false
  }
}
