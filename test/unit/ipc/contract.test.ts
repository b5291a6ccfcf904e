/** The IPC contract and the one dispatch both transports use: complete, validating, and leak-free. */
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { CHANNELS, EVENTS, PASSIVE_CHANNELS, type Channel } from '@shared/ipc-channels'
import { contract, events } from '@shared/ipc-contract'
import { dispatch, toApiError } from '../../../electron/engine/app/dispatch'
import { createHandlers, type Handlers } from '../../../electron/engine/app/handlers'
import { NotFoundError, ValidationError } from '../../../electron/engine/errors/engine-errors'
import { VaultLockedError, VaultThrottledError } from '../../../electron/engine/vault'

/** A handler map whose every handler records its calls and returns nothing useful. */
type Spy = ReturnType<typeof vi.fn<(input: unknown) => Promise<unknown>>>
function spyHandlers(): { handlers: Handlers; spies: Record<Channel, Spy> } {
  const spies = Object.fromEntries(
    CHANNELS.map((c) => [c, vi.fn<(input: unknown) => Promise<unknown>>(async () => undefined)]),
  ) as Record<Channel, Spy>
  return { handlers: spies as unknown as Handlers, spies }
}

describe('contract', () => {
  it('has exactly one entry per channel name, and the engine implements every one', () => {
    expect(Object.keys(contract).sort()).toEqual([...CHANNELS].sort())
    expect(new Set(CHANNELS).size).toBe(CHANNELS.length)
    const handlers = createHandlers({
      engine: {} as never,
      gateway: {} as never,
      version: 't',
      exportTarget: async () => null,
    })
    expect(Object.keys(handlers).sort()).toEqual([...CHANNELS].sort())
    expect(Object.keys(events).sort()).toEqual([...EVENTS].sort())
    expect(EVENTS).toEqual([
      'solve.progress',
      'alert.raised',
      'alert.resolved',
      'vault.locked',
      'export.progress',
    ])
  })

  it('lists as passive (no auto-lock activity) only channels that read', () => {
    for (const c of PASSIVE_CHANNELS) {
      expect(CHANNELS).toContain(c)
      expect(c).toMatch(/\.(status|dashboard|byDay|list)$/)
    }
  })

  it('no reply can carry an upstream key or a passphrase (only a freshly issued gateway key or webhook signing secret, once)', () => {
    const secretish = /^(apiKey|passphrase|oldPassphrase|newPassphrase|secret|token|dek|password)$/i
    for (const channel of CHANNELS) {
      const names: string[] = []
      const walk = (node: unknown): void => {
        if (!node || typeof node !== 'object') return
        const props = (node as { properties?: Record<string, unknown> }).properties
        if (props) names.push(...Object.keys(props))
        for (const v of Object.values(node)) walk(v)
      }
      walk(z.toJSONSchema(contract[channel].output, { unrepresentable: 'any' }))
      // The alert webhook's signing secret is the operator's own, made on request and shown that once.
      const allowed = channel === 'alerts.webhookSecret' ? ['secret'] : []
      for (const n of names)
        if (!allowed.includes(n)) expect(secretish.test(n), `${channel} reply field ${n}`).toBe(false)
      if (channel === 'gateway.issueKey' || channel === 'gateway.rotateKey') expect(names).toContain('key')
      else expect(names, channel).not.toContain('key')
    }
  })
})

describe('dispatch', () => {
  it('validates before calling: a bad input never reaches the handler and says which field is wrong', async () => {
    const { handlers: h, spies } = spyHandlers()
    const r = await dispatch(h, 'tenants.update', { id: 'acme', patch: { limits: { solvesPerDay: -5 } } })
    expect(r).toMatchObject({ ok: false, error: { code: 'VALIDATION', field: 'patch.limits.solvesPerDay' } })
    expect(spies['tenants.update']).not.toHaveBeenCalled()
    const ok = await dispatch(h, 'tenants.get', { id: 'acme' })
    expect(ok).toEqual({ ok: false, error: expect.objectContaining({ code: 'CONTRACT' }) }) // spy returned nothing
    expect(spies['tenants.get']).toHaveBeenCalledWith({ id: 'acme' })
  })

  it('applies defaults before the handler runs', async () => {
    const { handlers: h, spies } = spyHandlers()
    await dispatch(h, 'gateway.rotateKey', { tenantId: 'acme' })
    expect(spies['gateway.rotateKey']).toHaveBeenCalledWith({ tenantId: 'acme', graceHours: 24 })
  })

  it('refuses unknown and inherited channel names', async () => {
    const { handlers: h } = spyHandlers()
    for (const name of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 42, null])
      expect(await dispatch(h, name, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } })
  })

  it('maps engine errors to codes; an unexpected error says nothing of its own message', async () => {
    expect(toApiError(new ValidationError('bad', [{ field: 'name', message: 'required' }]))).toMatchObject({
      code: 'VALIDATION',
      field: 'name',
    })
    expect(toApiError(new NotFoundError('No tenant "x".'))).toEqual({
      code: 'NOT_FOUND',
      message: 'No tenant "x".',
    })
    expect(toApiError(new VaultLockedError()).code).toBe('VAULT_LOCKED')
    expect(toApiError(new VaultThrottledError(4000))).toMatchObject({ code: 'THROTTLED', retryAfterMs: 4000 })
    const leaky = new Error(
      'connect to https://api.example/in.php?key=0123456789abcdef0123456789abcdef failed',
    )
    const e = toApiError(leaky)
    expect(e.code).toBe('INTERNAL')
    expect(e.message).not.toContain('0123456789abcdef')
    const { handlers: h, spies } = spyHandlers()
    spies['settings.get'].mockRejectedValueOnce(leaky)
    const r = await dispatch(h, 'settings.get', {})
    expect(JSON.stringify(r)).not.toContain('0123456789abcdef')
  })

  it('property: any JSON-ish input on any channel gives an envelope, never a throw or a polluted prototype', async () => {
    const { handlers: h, spies } = spyHandlers()
    const channel = fc.constantFrom(...CHANNELS)
    const input = fc.oneof(
      fc.anything({ withNullPrototype: true, withObjectString: true, maxDepth: 3 }),
      fc.jsonValue({ maxDepth: 3 }),
      fc.constant(JSON.parse('{"__proto__":{"polluted":true},"id":"x"}')),
      fc.record({ id: fc.string({ maxLength: 300 }), tenantId: fc.string(), month: fc.string() }),
    )
    await fc.assert(
      fc.asyncProperty(channel, input, async (c: Channel, i) => {
        const r = await dispatch(h, c, i)
        expect(typeof r.ok).toBe('boolean')
        if (!r.ok) {
          expect(r.error.code).toMatch(/^[A-Z_]+$/)
          expect(r.error.message.length).toBeGreaterThan(5)
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      }),
      { numRuns: 600 },
    )
    // Whatever reached a handler had passed its channel's schema.
    for (const c of CHANNELS)
      for (const [arg] of spies[c].mock.calls) expect(contract[c].input.safeParse(arg).success, c).toBe(true)
  })
})
