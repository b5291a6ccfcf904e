/** Pingback/webhook destinations: every address form normalised, the checked address is the one connected to. */
import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import {
  isPrivateAddress,
  isPublicAddress,
  isPublicDestination,
  requestPublicUrl,
} from '../../../electron/engine/gateway/public-address'

/** [written form as it appears in a URL host, expected public?] */
const TABLE: Array<[string, boolean]> = [
  ['127.0.0.1', false],
  ['127.255.255.254', false],
  ['10.1.2.3', false],
  ['172.16.0.1', false],
  ['172.31.255.255', false],
  ['192.168.1.1', false],
  ['169.254.169.254', false],
  ['100.64.0.1', false],
  ['0.0.0.0', false],
  ['255.255.255.255', false],
  ['224.0.0.1', false],
  ['2130706433', false], // decimal 127.0.0.1
  ['0x7f000001', false], // hex
  ['0177.0.0.1', false], // octal
  ['0x7f.1', false],
  ['::1', false],
  ['::', false],
  ['fd00::1', false],
  ['fe80::1', false],
  ['ff02::1', false],
  ['::ffff:127.0.0.1', false], // IPv4-mapped
  ['::ffff:7f00:1', false],
  ['0:0:0:0:0:ffff:7f00:1', false],
  ['::ffff:10.0.0.1', false],
  ['::127.0.0.1', false], // IPv4-compatible
  ['::7f00:1', false],
  ['64:ff9b::7f00:1', false], // NAT64 → 127.0.0.1
  ['64:ff9b::a00:1', false], // NAT64 → 10.0.0.1
  ['2002:7f00:1::', false], // 6to4 → 127.0.0.1
  ['2002:c0a8:101::1', false], // 6to4 → 192.168.1.1
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', false], // Teredo → 127.0.0.1
  ['2001:db8::1', false], // documentation
  ['8.8.8.8', true],
  ['1.1.1.1', true],
  ['172.32.0.1', true],
  ['2606:4700::1111', true],
  ['::ffff:8.8.8.8', true],
  ['64:ff9b::808:808', true], // NAT64 → 8.8.8.8
  ['2002:808:808::1', true], // 6to4 → 8.8.8.8
  ['not-an-ip', false],
]

describe('pingback and webhook destinations', () => {
  it('classifies every address form by the address it really is', () => {
    for (const [ip, pub] of TABLE) {
      expect(isPublicAddress(ip), ip).toBe(pub)
      expect(isPrivateAddress(ip), ip).toBe(!pub)
    }
  })

  it('classifies the host the URL parser produces for each written form (as a pingback URL arrives)', async () => {
    for (const [ip, pub] of TABLE) {
      if (ip === 'not-an-ip') continue
      const host = new URL(`http://${ip.includes(':') ? `[${ip}]` : ip}:8080/cb`).hostname
      expect(await isPublicDestination(host), `${ip} → ${host}`).toBe(pub)
    }
    expect(await isPublicDestination('localhost')).toBe(false)
    expect(await isPublicDestination('[::1]')).toBe(false)
  })

  it('never reaches a loopback listener through any address form', async () => {
    let hits = 0
    const server = createServer((_q, r) => {
      hits++
      r.end('ok')
    })
    await new Promise<void>((r) => server.listen(0, '::', () => r()))
    const port = (server.address() as { port: number }).port
    try {
      for (const host of [
        '127.0.0.1',
        '[::ffff:127.0.0.1]',
        '[0:0:0:0:0:ffff:7f00:1]',
        '[::1]',
        '2130706433',
        'localhost',
        '[64:ff9b::7f00:1]',
      ]) {
        await expect(requestPublicUrl(new URL(`http://${host}:${port}/`)), host).rejects.toThrow(
          /public|resolve/,
        )
      }
      expect(hits).toBe(0)
      // The test-only loopback allowance does reach it, through the pinned address.
      expect(await requestPublicUrl(new URL(`http://127.0.0.1:${port}/`), { allowLoopback: true })).toBe(200)
      expect(hits).toBe(1)
    } finally {
      server.close()
    }
  })

  it('refuses credentials in the URL and other schemes', async () => {
    await expect(requestPublicUrl(new URL('http://u:p@8.8.8.8/'))).rejects.toThrow(/Credentials/)
    await expect(requestPublicUrl(new URL('ftp://8.8.8.8/'))).rejects.toThrow(/http/)
  })
})
