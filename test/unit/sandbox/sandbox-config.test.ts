import { describe, expect, it } from 'vitest'
import { keyFingerprint, SANDBOX_DEMO_KEY, startSandbox } from '../../../electron/engine/sandbox'

describe('Sandbox keys and options', () => {
  it('the demo key is 32 characters, so the protocol accepts it', () => {
    expect(SANDBOX_DEMO_KEY).toHaveLength(32)
    expect(SANDBOX_DEMO_KEY).toMatch(/^[a-z0-9]{32}$/)
  })

  it('fingerprints are short sha256 hex prefixes that do not contain the key', () => {
    const fp = keyFingerprint(SANDBOX_DEMO_KEY)
    expect(fp).toMatch(/^[0-9a-f]{12}$/)
    expect(keyFingerprint(SANDBOX_DEMO_KEY)).toBe(fp)
    expect(keyFingerprint('o'.repeat(32))).not.toBe(fp)
    expect(SANDBOX_DEMO_KEY).not.toContain(fp)
  })

  it('refuses invalid options with clear errors before listening', async () => {
    await expect(startSandbox({ speed: 0 })).rejects.toThrow(/speed/)
    await expect(startSandbox({ speed: Number.NaN })).rejects.toThrow(/speed/)
    await expect(startSandbox({ faults: { dropRate: 1.5 } })).rejects.toThrow(/dropRate/)
    await expect(startSandbox({ faults: { slowReplyMs: -1 } })).rejects.toThrow(/slowReplyMs/)
    await expect(startSandbox({ solveTimes: { image: { minMs: 10, maxMs: 5 } } })).rejects.toThrow(/image/)
    await expect(startSandbox({ keys: [{ key: 'k'.repeat(32), threads: -1 }] })).rejects.toThrow(/threads/)
    await expect(startSandbox({ keys: [{ key: 'k'.repeat(32), balanceMicros: 1.5 }] })).rejects.toThrow(
      /balanceMicros/,
    )
    await expect(startSandbox({ keys: [{ key: '' }] })).rejects.toThrow(/key/)
    await expect(startSandbox({ badKeyBanThreshold: 0 })).rejects.toThrow(/badKeyBanThreshold/)
  })
})
