/**
 * The ledger contract: what every Ledger implementation must do, run against each (SQLite and in memory today; a
 * PostgreSQL one joins by adding a factory in ledger-contract.test.ts).
 */
import { describe, expect, it } from 'vitest'
import type { CaptchaType } from '@shared/captcha'
import { UpstreamTaskClashError } from '../../../electron/engine/ledger/ledger-rules'
import type { Ledger, SolvedRow, SolvedSlice } from '../../../electron/engine/ledger/types'

export interface LedgerUnderTest {
  ledger: Ledger
  /** The ledger's clock (it stamps record times with it). */
  clock: { t: number }
  close(): Promise<void>
}

const NEVER = { settledFrom: Number.MIN_SAFE_INTEGER, settledTo: Number.MAX_SAFE_INTEGER }

export function describeLedgerContract(name: string, open: () => LedgerUnderTest): void {
  describe(`ledger contract: ${name}`, () => {
    const setup = () => {
      const u = open()
      const l = u.ledger
      const begin = (
        id: string,
        o: { tenant?: string; at?: number; type?: CaptchaType; account?: string } = {},
      ) =>
        l.begin({
          attemptId: id,
          tenantId: o.tenant ?? 't1',
          captchaType: o.type ?? 'turnstile',
          providerAccount: o.account ?? 'sandbox:abc',
          source: 'api',
          createdAt: o.at ?? 1_000,
          reservedMicros: 2_000,
        })
      const solve = async (
        id: string,
        o: {
          tenant?: string
          at?: number
          ended?: number
          price?: number
          type?: CaptchaType
          account?: string
        } = {},
      ) => {
        await begin(id, o)
        await l.markSubmitted(id, `task-${id}`, (o.at ?? 1_000) + 10)
        const ended = o.ended ?? (o.at ?? 1_000) + 500
        await l.settle(id, {
          status: 'solved',
          readyAt: ended,
          endedAt: ended,
          threadMs: 490,
          costMicros: 2_000,
          priceMicros: o.price ?? 3_000,
        })
      }
      return { u, l, begin, solve }
    }

    it('records an attempt through its life: pending → submitted → solved, findable by task id', async () => {
      const { u, l, begin } = setup()
      await begin('a1')
      expect(l.get('a1')).toMatchObject({ status: 'pending', upstreamTaskId: null, reservedMicros: 2_000 })
      await l.markSubmitted('a1', '100', 1_010)
      expect(l.findByUpstreamTask('sandbox:abc', '100')).toMatchObject({
        attemptId: 'a1',
        status: 'submitted',
      })
      expect(l.findByUpstreamTask('other:acct', '100')).toBeUndefined()
      const settled = await l.settle('a1', {
        status: 'solved',
        readyAt: 1_500,
        endedAt: 1_500,
        threadMs: 489.6,
        costMicros: 2_000,
        priceMicros: 3_000,
      })
      expect(settled).toBe(true)
      expect(l.get('a1')).toMatchObject({
        status: 'solved',
        upstreamTaskId: '100',
        submittedAt: 1_010,
        readyAt: 1_500,
        endedAt: 1_500,
        threadMs: 490,
        costMicros: 2_000,
        priceMicros: 3_000,
      })
      expect(l.get('nope')).toBeUndefined()
      await u.close()
    })

    it('is idempotent, and refuses what would make a second row or rewrite history', async () => {
      const { u, l, begin } = setup()
      await begin('a1')
      await begin('a1')
      await expect(begin('a1', { tenant: 'other' })).rejects.toThrow(/another tenant/)
      await l.markSubmitted('a1', '100', 1_010)
      await l.markSubmitted('a1', '100', 1_010)
      await begin('a2')
      await expect(l.markSubmitted('a2', '100', 1_020)).rejects.toThrow(/already recorded/)
      // The solve service tells a clash from other failures by its type.
      await expect(l.markSubmitted('a2', '100', 1_020)).rejects.toBeInstanceOf(UpstreamTaskClashError)
      await expect(l.markSubmitted('ghost', '7', 1)).rejects.toThrow(/unknown attempt/)
      await expect(
        l.settle('a1', {
          status: 'failed',
          errorCode: 'ERROR_CAPTCHA_UNSOLVABLE',
          endedAt: 2_000,
          threadMs: 990,
        }),
      ).resolves.toBe(true)
      const again = {
        status: 'solved',
        readyAt: 2_000,
        endedAt: 2_000,
        threadMs: 1,
        costMicros: 1,
        priceMicros: 1,
      }
      await expect(l.settle('a1', again as never)).resolves.toBe(false)
      expect(l.get('a1')).toMatchObject({
        status: 'failed',
        priceMicros: 0,
        costMicros: 0,
        errorCode: 'ERROR_CAPTCHA_UNSOLVABLE',
      })
      await expect(l.markSubmitted('a1', '101', 2_100)).rejects.toThrow(/not pending/)
      await expect(l.settle('ghost', again as never)).rejects.toThrow(/unknown attempt/)
      await expect(l.settle('a2', { status: 'rejected' } as never)).rejects.toThrow(/cannot settle/)
      await expect(l.settle('a2', { ...again, priceMicros: 1.5 } as never)).rejects.toThrow(/integer micros/)
      await expect(l.settle('a2', { ...again, endedAt: Number.NaN } as never)).rejects.toThrow(/numbers/)
      await expect(begin('bad', { at: Number.NaN })).rejects.toThrow(/createdAt/)
      expect(l.get('a2')?.status).toBe('pending')
      await u.close()
    })

    it('counts what limits need: open attempts, day counts, month spend and holds', async () => {
      const { u, l, begin, solve } = setup()
      await begin('o2', { at: 1_200 })
      await begin('o1', { at: 1_100 })
      await begin('o3', { tenant: 't2', at: 1_300 })
      await solve('s1', { at: 1_000, ended: 1_900, price: 3_000 })
      await solve('s2', { at: 2_500, ended: 9_000, price: 4_000 })
      await begin('f1', { at: 1_400 })
      await l.settle('f1', { status: 'timed_out', errorCode: null, endedAt: 1_600, threadMs: 100 })
      expect(l.openAttempts().map((a) => a.attemptId)).toEqual(['o1', 'o2', 'o3'])
      expect(l.recent('t1', 3).map((a) => a.attemptId)).toEqual(['s2', 'f1', 'o2'])
      expect(l.recent('t2', 10).map((a) => a.attemptId)).toEqual(['o3'])
      expect(Object.fromEntries(l.openByTenant())).toEqual({ t1: 2, t2: 1 })
      expect(l.countForDay('t1', 0, 2_000)).toEqual({ solved: 1, open: 2 })
      expect(l.countForDay('t1', 2_000, 3_000)).toEqual({ solved: 1, open: 0 })
      expect(l.countForDay('t9', 0, 10_000)).toEqual({ solved: 0, open: 0 })
      expect(l.spendForMonth('t1', 0, 5_000)).toEqual({ spentMicros: 3_000, reservedMicros: 4_000 })
      expect(l.spendForMonth('t1', 5_000, 10_000)).toEqual({ spentMicros: 4_000, reservedMicros: 0 })
      await u.close()
    })

    it('sums ended attempts by status and code over whole 15-minute buckets of their end time', async () => {
      const { u, l, begin, solve } = setup()
      const M15 = 15 * 60_000
      await solve('s1', { at: 10, ended: 100 })
      await solve('s2', { at: 20, ended: M15 - 1 })
      await solve('s3', { at: 30, ended: M15 + 5, type: 'image' })
      await solve('other', { at: 30, ended: 200, tenant: 't2' })
      await begin('open', { at: 40 }) // not usage yet
      await begin('f1', { at: 50 })
      await l.settle('f1', {
        status: 'failed',
        errorCode: 'ERROR_CAPTCHA_UNSOLVABLE',
        endedAt: 300,
        threadMs: 250,
      })
      await begin('f2', { at: 60 })
      await l.settle('f2', { status: 'timed_out', errorCode: null, endedAt: M15 + 300, threadMs: 0 })
      const totals = (fromMs: number, toMs: number, tenantId = 't1') =>
        l
          .usageTotals({ tenantId, fromMs, toMs })
          .map((b) => [b.status, b.errorCode, b.count, b.threadMs, b.costMicros, b.priceMicros])
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
      expect(totals(0, 2 * M15)).toEqual([
        ['failed', 'ERROR_CAPTCHA_UNSOLVABLE', 1, 250, 0, 0],
        ['solved', null, 3, 1_470, 6_000, 9_000],
        ['timed_out', null, 1, 0, 0, 0],
      ])
      expect(totals(0, M15)).toEqual([
        ['failed', 'ERROR_CAPTCHA_UNSOLVABLE', 1, 250, 0, 0],
        ['solved', null, 2, 980, 4_000, 6_000],
      ])
      // A bucket is in when it starts in the range: [1, 2·M15) starts after the first bucket.
      expect(totals(1, 2 * M15)).toEqual([
        ['solved', null, 1, 490, 2_000, 3_000],
        ['timed_out', null, 1, 0, 0, 0],
      ])
      expect(totals(0, 2 * M15, 't2')).toEqual([['solved', null, 1, 490, 2_000, 3_000]])
      expect(totals(0, 2 * M15, 't9')).toEqual([])
      await u.close()
    })

    it("sums a month's spend exactly whatever its bounds (whole buckets and the part-buckets at its ends)", async () => {
      const { u, l, solve } = setup()
      const M15 = 15 * 60_000
      await solve('a', { at: 1, ended: M15 - 1, price: 1 })
      await solve('b', { at: 2, ended: M15, price: 10 })
      await solve('c', { at: 3, ended: 2 * M15 + 5, price: 100 })
      await solve('d', { at: 4, ended: 3 * M15 + 7, price: 1_000 })
      await solve('e', { at: 5, ended: 3 * M15 + 7, price: 10_000, tenant: 't2' })
      const spent = (a: number, b: number) => l.spendForMonth('t1', a, b).spentMicros
      expect(spent(0, 4 * M15)).toBe(1_111)
      expect(spent(10, 3 * M15 + 100)).toBe(1_111)
      expect(spent(M15, 3 * M15)).toBe(110)
      expect(spent(M15 - 1, 3 * M15 + 7)).toBe(111)
      expect(spent(M15 + 1, 3 * M15 + 8)).toBe(1_100)
      expect(spent(2 * M15 + 5, 2 * M15 + 6)).toBe(100)
      expect(spent(2 * M15 + 6, 3 * M15 + 7)).toBe(0)
      await u.close()
    })

    it('sums a month of solves by (type, unit price) exactly over whole buckets and part-buckets alike', async () => {
      const { u, l, solve } = setup()
      const M15 = 15 * 60_000
      u.clock.t = 10 * M15
      await solve('a', { ended: M15 - 1, price: 3_000 }) // a part-bucket before the first whole one
      await solve('b', { ended: M15 + 1, price: 3_000 })
      await solve('c', { ended: M15 + 2, price: 4_000 }) // another price in the same bucket: its own line
      await solve('d', { ended: 2 * M15 + 3, price: 3_000, type: 'image' })
      await solve('e', { ended: 3 * M15 + 4, price: 3_000 }) // in the part-bucket after the last whole one
      await solve('other', { ended: M15 + 1, price: 9_000, tenant: 't2' })
      u.clock.t = 11 * M15
      await solve('late', { ended: 2 * M15 + 9, price: 3_000 }) // recorded after the others
      const sums = (q: Partial<SolvedSlice>) =>
        l
          .solvedGroups({
            tenantId: 't1',
            endedFrom: 10,
            endedTo: 3 * M15 + 10,
            ...NEVER,
            selective: 'ended',
            ...q,
          })
          .map((g) => [g.captchaType, g.priceMicros, g.count, g.amountMicros, g.costMicros, g.threadMs])
          .sort()
      // Recorded any time (a draft's own usage).
      expect(sums({})).toEqual([
        ['image', 3_000, 1, 3_000, 2_000, 490],
        ['turnstile', 3_000, 4, 12_000, 8_000, 1_960],
        ['turnstile', 4_000, 1, 4_000, 2_000, 490],
      ])
      // Bounds inside buckets: only what ended in [M15 + 2, 3·M15 + 4).
      expect(sums({ endedFrom: M15 + 2, endedTo: 3 * M15 + 4 })).toEqual([
        ['image', 3_000, 1, 3_000, 2_000, 490],
        ['turnstile', 3_000, 1, 3_000, 2_000, 490],
        ['turnstile', 4_000, 1, 4_000, 2_000, 490],
      ])
      // Recorded before the late one: it is left out wherever it ended.
      expect(sums({ settledTo: 11 * M15 })).toEqual([
        ['image', 3_000, 1, 3_000, 2_000, 490],
        ['turnstile', 3_000, 3, 9_000, 6_000, 1_470],
        ['turnstile', 4_000, 1, 4_000, 2_000, 490],
      ])
      // Recorded from then on: only the late one.
      expect(sums({ settledFrom: 11 * M15, selective: 'settled' })).toEqual([
        ['turnstile', 3_000, 1, 3_000, 2_000, 490],
      ])
      await u.close()
    })

    it('answers billing: first solve, slice sums by (type, price), keyset pages, per-account usage', async () => {
      const { u, l, solve } = setup()
      u.clock.t = 10_000
      await solve('x1', { ended: 2_000, price: 3_000 })
      await solve('x2', { ended: 2_000, price: 3_000 })
      await solve('x3', { ended: 2_500, price: 5_000, type: 'image', account: 'other:1' })
      u.clock.t = 20_000 // recorded later: outside a slice that ends at 15_000
      await solve('x4', { ended: 2_600, price: 3_000 })
      await solve('y1', { ended: 1_500, tenant: 't2' })
      expect(l.firstSolveAt('t1')).toBe(2_000)
      expect(l.firstSolveAt('t9')).toBeUndefined()
      const slice: SolvedSlice = {
        tenantId: 't1',
        endedFrom: 0,
        endedTo: 5_000,
        ...NEVER,
        selective: 'ended',
      }
      const sums = (q: SolvedSlice) =>
        l
          .solvedGroups(q)
          .map((g) => [g.captchaType, g.priceMicros, g.count, g.amountMicros, g.costMicros, g.threadMs])
          .sort()
      expect(sums(slice)).toEqual([
        ['image', 5_000, 1, 5_000, 2_000, 490],
        ['turnstile', 3_000, 3, 9_000, 6_000, 1_470],
      ])
      const early = { ...slice, settledTo: 15_000, selective: 'settled' as const }
      expect(sums(early)).toEqual([
        ['image', 5_000, 1, 5_000, 2_000, 490],
        ['turnstile', 3_000, 2, 6_000, 4_000, 980],
      ])
      const pages: SolvedRow[][] = []
      let after = { endedAt: slice.endedFrom - 1, attemptId: '' }
      for (let i = 0; i < 10; i++) {
        const rows = l.solvedRows(slice, after, 2)
        if (rows.length === 0) break
        pages.push(rows)
        const last = rows[rows.length - 1]!
        after = { endedAt: last[3], attemptId: last[0] }
      }
      expect(pages.map((p) => p.map((r) => r[0]))).toEqual([
        ['x1', 'x2'],
        ['x3', 'x4'],
      ])
      expect(pages[0]![0]).toEqual(['x1', 'task-x1', 'turnstile', 2_000, 490, 2_000, 3_000])
      // The detail stream lists the same rows in the same order (a file SQLite ledger reads them on a worker).
      const detail = async (q: SolvedSlice) => {
        const out: unknown[][] = []
        for await (const c of l.solvedDetail(q))
          c.taskIds.forEach((id, i) => out.push([id, c.types[i], ...c.numbers.subarray(i * 4, i * 4 + 4)]))
        return out
      }
      expect(await detail(slice)).toEqual(pages.flat().map((r) => r.slice(1)))
      expect((await detail(early)).map((r) => r[0])).toEqual(['task-x1', 'task-x2', 'task-x3'])
      expect(await detail({ ...slice, tenantId: 't9' })).toEqual([])
      expect(l.solvedByAccount('sandbox:abc', 0, 5_000)).toEqual([
        { tenantId: 't1', captchaType: 'turnstile', solves: 3, threadMs: 1_470, costMicros: 6_000 },
        { tenantId: 't2', captchaType: 'turnstile', solves: 1, threadMs: 490, costMicros: 2_000 },
      ])
      expect(l.solvedByAccount('sandbox:abc', 2_100, 5_000)).toHaveLength(1)
      // Prepaid credit: created (all at 1_000) inside a period, recorded by a time, ended in a range.
      const all = { settledUpTo: Number.MAX_SAFE_INTEGER, endedFrom: 0, endedTo: 10_000 }
      expect(l.solvedPriceCreatedIn('t1', [{ from: 0, to: 5_000 }], all)).toBe(14_000)
      expect(l.solvedPriceCreatedIn('t1', [{ from: 0, to: 5_000 }], { ...all, settledUpTo: 15_000 })).toBe(
        11_000,
      )
      expect(l.solvedPriceCreatedIn('t1', [{ from: 0, to: 5_000 }], { ...all, endedFrom: 2_100 })).toBe(8_000)
      expect(l.solvedPriceCreatedIn('t1', [{ from: 1_001, to: 5_000 }], all)).toBe(0)
      expect(
        l.solvedPriceCreatedIn(
          't1',
          [
            { from: 0, to: 999 },
            { from: 1_000, to: 1_001 },
          ],
          all,
        ),
      ).toBe(14_000)
      await u.close()
    })

    it('flush makes every write issued before it visible at once', async () => {
      const { u, l } = setup()
      const pending = l.begin({
        attemptId: 'q1',
        tenantId: 't1',
        captchaType: 'image',
        providerAccount: 'p',
        source: 'api',
        createdAt: 1,
        reservedMicros: 0,
      })
      l.flush()
      expect(l.get('q1')?.status).toBe('pending')
      await pending
      const sub = l.markSubmitted('q1', 't', 2)
      l.flush()
      expect(l.get('q1')?.upstreamTaskId).toBe('t')
      await sub
      await u.close()
    })
  })
}
