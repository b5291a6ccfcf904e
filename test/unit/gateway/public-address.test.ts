import { describe, expect, it } from 'vitest'
import { isPrivateAddress, isPublicDestination } from '../../../electron/engine/gateway/public-address'

describe('pingback destinations', () => {
  it('refuses the operator’s own network', async () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
    ]) {
      expect(isPrivateAddress(ip), ip).toBe(true)
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2606:4700::1111'])
      expect(isPrivateAddress(ip), ip).toBe(false)
    expect(await isPublicDestination('localhost')).toBe(false)
    expect(await isPublicDestination('[::1]')).toBe(false)
    expect(await isPublicDestination('169.254.169.254')).toBe(false)
  })
})
