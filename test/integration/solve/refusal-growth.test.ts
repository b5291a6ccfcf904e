/**
 * Refusals are counted, not journaled: a client hammering at 140 refused requests a second for an hour (simulated
 * on an injected clock, through the real solve path and SQLite file) grows the database by less than 1 MB, and the
 * dashboard still sees every refusal by code.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import type { CaptchaRequest } from '@shared/captcha'
import { engineFixture } from '../../support/engine-fixture'

let fx: Awaited<ReturnType<typeof engineFixture>> | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

const v3: CaptchaRequest = { type: 'recaptcha_v3', googlekey: 'k', pageurl: 'https://example.com' }

const fileBytes = (dir: string): number => {
  const size = (f: string): number => {
    try {
      return statSync(join(dir, f)).size
    } catch {
      return 0
    }
  }
  return size('engine.db') + size('engine.db-wal')
}

it('an hour of 140 refused requests per second adds less than 1 MB, and every refusal is counted', async () => {
  const clock = { now: Date.UTC(2026, 10, 2, 9) }
  fx = await engineFixture({ now: () => clock.now })
  const t = fx.addTenant({ limits: { requestsPerMinute: 1 } })
  expect((await fx.solver.solve(t.id, v3, { source: 'gateway' })).status).toBe('solved')
  fx.refusals.flush()
  fx.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  const before = fileBytes(fx.dir)
  const perSecond = 140
  const seconds = 3_600
  let refused = 0
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < perSecond; i++) {
      clock.now += Math.floor(1_000 / perSecond)
      const r = await fx.solver.solve(t.id, v3, { source: 'gateway' })
      if (r.status === 'rejected') refused++
    }
    clock.now += 1_000 - perSecond * Math.floor(1_000 / perSecond)
    if (s % 5 === 0) fx.refusals.flush() // as the 5-second timer does
  }
  fx.refusals.flush()
  fx.db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  const grown = fileBytes(fx.dir) - before
  // One solve a minute is admitted (the limit); everything else was refused and counted.
  expect(refused).toBeGreaterThanOrEqual(perSecond * seconds - 61)
  expect(refused).toBeLessThan(perSecond * seconds)
  expect(grown).toBeLessThan(1_000_000)
  expect(fx.db.prepare("SELECT COUNT(*) AS n FROM attempts WHERE status = 'rejected'").get()).toEqual({
    n: 0,
  })
  const counted = fx.refusals
    .totals({ tenantId: t.id, fromMs: 0, toMs: clock.now + 60_000 })
    .reduce((n, c) => n + c.count, 0)
  expect(counted).toBe(refused)
  console.log(`refusal growth: ${refused} refusals in a simulated hour → +${grown} bytes on disk`)
}, 300_000)
