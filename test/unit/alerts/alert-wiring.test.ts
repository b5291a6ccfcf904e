/** In the engine, changing a tenant's limits re-evaluates its alerts at once (raised, or resolved when no longer true). */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../../electron/engine/app/engine'

let dir: string
let engine: Engine
afterEach(async () => {
  await engine.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('alerts follow tenant changes', () => {
  it('lowering the daily limit below today’s count raises the alert; raising it again resolves it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'alert-wiring-'))
    engine = await createEngine({ dataDir: dir, embeddedSandbox: false, weakKdfForTests: true })
    const t = engine.tenants.create({ name: 'Acme', timezone: 'UTC' }, 'test')
    const at = engine.now()
    await engine.ledger.begin({
      attemptId: 'a1',
      tenantId: t.id,
      captchaType: 'image',
      providerAccount: 'p',
      source: 'api',
      createdAt: at,
      reservedMicros: 0,
    })
    await engine.ledger.settle('a1', {
      status: 'solved',
      readyAt: at,
      endedAt: at,
      threadMs: 1,
      costMicros: 1,
      priceMicros: 1,
    })
    const active = () => engine.alerts.list({ activeOnly: true }).filter((a) => a.kind === 'daily_limit')
    expect(active()).toEqual([])
    engine.tenants.update(t.id, { limits: { solvesPerDay: 1 } }, 'operator')
    expect(active().map((a) => a.threshold)).toContain(100)
    engine.tenants.update(t.id, { limits: { solvesPerDay: 100 } }, 'operator')
    expect(active()).toEqual([])
  })
})
