/**
 * The admission store contract: what every AdmissionStore must do over its durable usage (the ledger), run against
 * each store (in-process; keyed counters, the shape of a Valkey/Redis store) over each storage (SQLite and in-memory
 * ledgers); a shared store joins by adding a factory in admission-store-contract.test.ts. Rate-limit timing has its
 * own tests (rate window, properties, keyed-store equivalence); this is accounting.
 */
import { describe, expect, it } from 'vitest'
import type { Tenant, TenantLimits } from '@shared/tenant'
import type { AdmissionStore } from '../../../electron/engine/admission'
import type { Ledger } from '../../../electron/engine/ledger/types'
import { tenantFixture } from '../../support/tenant-fixture'

export interface AdmissionUnderTest {
  ledger: Ledger
  /** A store over this ledger; called again to model a restart (state rebuilt from the ledger). */
  store(options?: { sharedThreads?: number }): AdmissionStore
  close(): Promise<void>
}

const NOW = Date.parse('2026-11-10T12:00:00Z')
const tenant = (limits: TenantLimits, over: Partial<Tenant> = {}) => tenantFixture('t1', { limits, ...over })

export function describeAdmissionStoreContract(name: string, open: () => AdmissionUnderTest): void {
  describe(`admission store contract: ${name}`, () => {
    const reserve = (s: AdmissionStore, t: Tenant, estimateMicros = 0, now = NOW) =>
      s.reserve({ tenant: t, captchaType: 'image', estimateMicros, now })

    it('reserves in one step and gives back exactly what it took, once', async () => {
      const u = open()
      const s = u.store()
      const t = tenant({ maxConcurrent: 2, solvesPerDay: 10, monthlyBudgetMicros: 10_000 })
      const a = reserve(s, t, 3_000)
      const b = reserve(s, t, 3_000)
      expect(a.ok && b.ok).toBe(true)
      expect(reserve(s, t, 3_000)).toMatchObject({ ok: false, limit: 'concurrency' })
      expect(s.snapshot(t, NOW)).toMatchObject({
        inFlight: 2,
        today: { counted: 2 },
        month: { reservedMicros: 6_000, spentMicros: 0 },
      })
      if (!a.ok || !b.ok) return
      s.release(a.reservation, { solved: true, priceMicros: 2_500, now: NOW })
      s.release(a.reservation, { solved: true, priceMicros: 2_500, now: NOW })
      s.release(b.reservation, { solved: false, priceMicros: 0, now: NOW })
      expect(s.snapshot(t, NOW)).toMatchObject({
        inFlight: 0,
        today: { counted: 1 },
        month: { reservedMicros: 0, spentMicros: 2_500 },
      })
      expect(s.openReservations()).toBe(0)
      await u.close()
    })

    it('a refusal changes nothing; suspended and zero-limit tenants are refused', async () => {
      const u = open()
      const s = u.store()
      const t = tenant({ monthlyBudgetMicros: 5_000 })
      expect(reserve(s, t, 6_000)).toMatchObject({ ok: false, limit: 'budget' })
      expect(s.snapshot(t, NOW)).toMatchObject({
        inFlight: 0,
        today: { counted: 0 },
        month: { reservedMicros: 0 },
      })
      expect(reserve(s, t, 5_000).ok).toBe(true)
      expect(reserve(s, tenant({}, { status: 'suspended' }))).toMatchObject({ ok: false, limit: 'suspended' })
      const daily = tenantFixture('t2', { limits: { solvesPerDay: 0 } })
      const refused = reserve(s, daily)
      expect(refused).toMatchObject({ ok: false, limit: 'daily' })
      expect(refused.ok ? 0 : refused.retryAfterMs).toBeGreaterThan(0)
      await u.close()
    })

    it('after a restart, counts come back from the ledger: solved and open attempts count, failures do not', async () => {
      const u = open()
      const t = tenant({ solvesPerDay: 3, monthlyBudgetMicros: 10_000 })
      const row = (id: string) => ({
        attemptId: id,
        tenantId: 't1',
        captchaType: 'image' as const,
        providerAccount: 'p',
        source: 'api' as const,
        createdAt: NOW - 60_000,
        reservedMicros: 1_000,
      })
      await u.ledger.begin(row('solved'))
      await u.ledger.settle('solved', {
        status: 'solved',
        readyAt: NOW - 1,
        endedAt: NOW - 1,
        threadMs: 5,
        costMicros: 1_000,
        priceMicros: 4_000,
      })
      await u.ledger.begin(row('failed'))
      await u.ledger.settle('failed', { status: 'failed', errorCode: 'X', endedAt: NOW - 1, threadMs: 5 })
      await u.ledger.begin(row('open'))
      const s = u.store()
      expect(s.snapshot(t, NOW)).toMatchObject({
        today: { counted: 2 },
        month: { spentMicros: 4_000, reservedMicros: 1_000 },
      })
      expect(reserve(s, t, 5_000).ok).toBe(true)
      expect(reserve(s, t, 0)).toMatchObject({ ok: false, limit: 'daily' })
      await u.close()
    })

    it('adopts what a crash left open, and releases it like any other', async () => {
      const u = open()
      // The crash left this attempt open in the ledger; the new process's store adopts it at recovery.
      await u.ledger.begin({
        attemptId: 'left-open',
        tenantId: 't1',
        captchaType: 'image',
        providerAccount: 'p',
        source: 'gateway',
        createdAt: NOW - 5_000,
        reservedMicros: 700,
      })
      const s = u.store({ sharedThreads: 1 })
      const t = tenant({ maxConcurrent: 1 })
      const r = s.adopt({ tenant: t, captchaType: 'image', createdAt: NOW - 5_000, reservedMicros: 700 })
      expect(s.snapshot(t, NOW)).toMatchObject({
        inFlight: 1,
        today: { counted: 1 },
        month: { reservedMicros: 700 },
      })
      expect(s.sharedUsage()).toEqual({ capacity: 1, used: 1 })
      expect(reserve(s, t)).toMatchObject({ ok: false })
      s.release(r, { solved: false, priceMicros: 0, now: NOW })
      expect(s.sharedUsage()).toEqual({ capacity: 1, used: 0 })
      expect(reserve(s, t).ok).toBe(true)
      await u.close()
    })

    it('shared threads: capacity can change at once; own-key tenants do not use it', async () => {
      const u = open()
      const s = u.store({ sharedThreads: 1 })
      const shared = tenant({})
      const own = tenantFixture('t_own', { keyMode: 'own' })
      expect(reserve(s, shared).ok).toBe(true)
      expect(reserve(s, shared)).toMatchObject({ ok: false, limit: 'shared_capacity' })
      expect(reserve(s, own).ok).toBe(true)
      s.setSharedCapacity(2)
      expect(reserve(s, shared).ok).toBe(true)
      expect(s.sharedUsage()).toEqual({ capacity: 2, used: 2 })
      s.setSharedCapacity(undefined)
      expect(reserve(s, shared).ok).toBe(true)
      await u.close()
    })
  })
}
