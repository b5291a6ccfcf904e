/**
 * Prepaid credit end to end through the tenant gateway with the unmodified 2captcha client: getbalance reports the
 * credit (never a made-up figure), solves draw it down, a concurrent burst never overspends it, and at zero the
 * gateway answers ERROR_ZERO_BALANCE until a top-up.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Solver } from '@2captcha/captcha-solver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../../electron/engine/app/engine'
import {
  createGatewayController,
  type GatewayController,
} from '../../../electron/engine/app/gateway-controller'

let dir: string
let engine: Engine
let gateway: GatewayController

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prepaid-'))
  engine = await createEngine({ dataDir: dir, sandboxSpeed: 1000, weakKdfForTests: true })
  await engine.vault.create('prepaid passphrase 1')
  await engine.afterUnlock()
  engine.settings.update({
    gateway: { ...engine.settings.get().gateway, enabled: false, port: 0, allowLan: false },
  })
  gateway = createGatewayController(engine)
  await gateway.start()
})
afterAll(async () => {
  await gateway?.stop()
  await engine?.close()
  rmSync(dir, { recursive: true, force: true })
})

function client(key: string, url: string): Solver {
  const s = new Solver(key, 20)
  Object.defineProperty(s, 'in', { get: () => `${url}/in.php` })
  Object.defineProperty(s, 'res', { get: () => `${url}/res.php` })
  return s
}

/** Every solve has ended and been billed. */
async function settled(): Promise<void> {
  while (engine.solver.inFlight() > 0) await new Promise((r) => setTimeout(r, 10))
}

const turnstile = { sitekey: '0x4AAAAAAAC3DHQFLr1GavRN', pageurl: 'https://example.com/ts' }

describe('prepaid tenant at the gateway', () => {
  it('getbalance is the credit; solves stop at zero with ERROR_ZERO_BALANCE; a top-up reopens', async () => {
    const t = engine.tenants.create(
      {
        name: 'Prepaid Co',
        pricePlan: { kind: 'markup', markupBps: 0 },
        billing: { mode: 'prepaid' },
      },
      'test',
    )
    const price = engine.settings.get().costPrices.turnstile // markup 0: price = cost
    const { key } = gateway.keys.issue(t.id)
    const s = client(key, gateway.status().url!)
    expect(await s.balance()).toBe(0)
    engine.credit.record({
      tenantId: t.id,
      kind: 'top_up',
      amountMicros: price * 3,
      reference: 'inv-1',
      actor: 'test',
    })
    engine.credit.record({
      tenantId: t.id,
      kind: 'top_up',
      amountMicros: price * 3,
      reference: 'inv-1',
      actor: 'test',
    })
    expect(await s.balance()).toBe((price * 3) / 1e6)
    // Eight at once against credit for three: exactly three are solved, the rest refused as zero balance.
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => s.cloudflareTurnstile(turnstile)),
    )
    const solved = results.filter((r) => r.status === 'fulfilled')
    const refused = results.filter(
      (r) => r.status === 'rejected' && (r.reason as { err?: string }).err === 'ERROR_ZERO_BALANCE',
    )
    expect(solved).toHaveLength(3)
    expect(refused).toHaveLength(5)
    // A client has its answer before the solve is billed (answers are stored first): wait for the billing.
    await settled()
    const b = engine.credit.balance(t.id)
    expect(b).toMatchObject({
      boughtMicros: price * 3,
      usedMicros: price * 3,
      leftMicros: 0,
      reservedMicros: 0,
    })
    expect(await s.balance()).toBe(0)
    engine.credit.record({
      tenantId: t.id,
      kind: 'top_up',
      amountMicros: price,
      reference: 'inv-2',
      actor: 'test',
    })
    await s.cloudflareTurnstile(turnstile)
    await settled()
    expect(engine.credit.balance(t.id).leftMicros).toBe(0)
    // The low-credit alert is up (below the default 1.00 threshold), one alert for the tenant.
    const low = engine.alerts.list({ activeOnly: true }).filter((a) => a.kind === 'low_credit')
    expect(low.map((a) => a.subject)).toEqual([`tenant:${t.id}`])
  })

  it('a postpaid tenant without a budget reads 0 (or the operator’s amount), never 1,000.00', async () => {
    const t = engine.tenants.create({ name: 'Postpaid Co' }, 'test')
    const { key } = gateway.keys.issue(t.id)
    const s = client(key, gateway.status().url!)
    expect(await s.balance()).toBe(0)
    engine.settings.update({ gatewayBalance: { mode: 'amount', amountMicros: 25_500_000 } })
    expect(await s.balance()).toBe(25.5)
  })
})
