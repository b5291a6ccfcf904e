/**
 * Prepaid credit under random concurrency (fast-check): solves admitted through the real admission controller and
 * settled through the real SQLite ledger, interleaved in a random order with top-ups, repeated top-ups and refunds.
 * Properties: the credit available never goes below zero; a reference counts once; used + left = bought, and the
 * figures rebuilt from the database by a fresh book agree with the running one.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createAdmissionController } from '../../../electron/engine/admission'
import { openCreditBook, withPrepaidCredit } from '../../../electron/engine/credit'
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { tenantFixture } from '../../support/tenant-fixture'

type Op =
  | { kind: 'solve'; price: number; solved: boolean }
  | { kind: 'top_up'; amount: number; ref: number }
  | { kind: 'refund'; amount: number; ref: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('solve' as const),
    price: fc.integer({ min: 0, max: 5_000 }),
    solved: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('top_up' as const),
    amount: fc.integer({ min: 1, max: 20_000 }),
    ref: fc.integer({ min: 0, max: 6 }),
  }),
  fc.record({
    kind: fc.constant('refund' as const),
    amount: fc.integer({ min: 1, max: 20_000 }),
    ref: fc.integer({ min: 0, max: 6 }),
  }),
)

describe('prepaid credit properties', () => {
  it('never below zero under random concurrent solves, top-ups and refunds; a reference counts once; used + left = bought', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.scheduler(), async (ops, s) => {
        const db = openDatabase(':memory:')
        const ledger = openSqliteLedger(db)
        const book = openCreditBook(db, { ledger })
        const admission = withPrepaidCredit(createAdmissionController(), book)
        const tenant = tenantFixture('t_p', { billing: { mode: 'prepaid' } as never })
        book.syncMode(tenant, 0)
        const violations: string[] = []
        const check = (): void => {
          const b = book.balance(tenant.id)
          if (b.availableMicros < 0) violations.push(`available ${b.availableMicros}`)
          if (b.leftMicros < 0) violations.push(`left ${b.leftMicros}`)
        }
        const accepted = new Map<string, number>() // reference → signed amount that counted
        let n = 0
        const run = async (o: Op): Promise<void> => {
          const i = n++
          if (o.kind === 'solve') {
            const a = admission.reserve({
              tenant,
              captchaType: 'image',
              estimateMicros: o.price,
              now: 10 + i,
            })
            check()
            if (!a.ok) {
              expect(a.limit).toBe('credit')
              return
            }
            await ledger.begin({
              attemptId: `a${i}`,
              tenantId: tenant.id,
              captchaType: 'image',
              providerAccount: 'acct',
              source: 'api',
              createdAt: a.reservation.at,
              reservedMicros: o.price,
            })
            await s.schedule(Promise.resolve(), `solve ${i} upstream`)
            await ledger.settle(
              `a${i}`,
              o.solved
                ? {
                    status: 'solved',
                    readyAt: 20 + i,
                    endedAt: 20 + i,
                    threadMs: 1,
                    costMicros: 0,
                    priceMicros: o.price,
                  }
                : { status: 'failed', errorCode: 'ERROR_CAPTCHA_UNSOLVABLE', endedAt: 20 + i, threadMs: 1 },
            )
            admission.release(a.reservation, {
              solved: o.solved,
              priceMicros: o.solved ? o.price : 0,
              now: 20 + i,
            })
            check()
            return
          }
          await s.schedule(Promise.resolve(), `${o.kind} ${i}`)
          const reference = `${o.kind}-${o.ref}`
          try {
            const r = book.record({
              tenantId: tenant.id,
              kind: o.kind,
              amountMicros: o.amount,
              reference,
              actor: 't',
            })
            if (r.duplicate) expect(accepted.get(reference)).toBe(r.entry.amountMicros)
            else accepted.set(reference, r.entry.amountMicros)
          } catch (err) {
            // a refund larger than the credit available, or a reference reused with another amount
            expect((err as Error).name).toMatch(/ValidationError|ConflictError/)
          }
          check()
        }
        let done = false
        const all = Promise.all(ops.map(run)).finally(() => (done = true))
        // Scheduled steps appear after ledger writes (a later tick): release them until every operation ended.
        for (let i = 0; !done && i < 10_000; i++) {
          await s.waitAll()
          await new Promise((r) => setImmediate(r))
        }
        await all
        await ledger.close()
        expect(violations).toEqual([])
        const b = book.balance(tenant.id)
        const bought = [...accepted.values()].reduce((x, y) => x + y, 0)
        const solvedPrice = Number(
          (
            db
              .prepare("SELECT COALESCE(SUM(price_micros), 0) AS v FROM attempts WHERE status = 'solved'")
              .get() as { v: number }
          ).v,
        )
        expect(b.boughtMicros).toBe(bought)
        expect(b.usedMicros).toBe(solvedPrice)
        expect(b.usedMicros + b.leftMicros).toBe(b.boughtMicros)
        expect(b.reservedMicros).toBe(0)
        // The same figures from the database alone (a restart).
        const again = openCreditBook(db, { ledger }).balance(tenant.id)
        expect([again.boughtMicros, again.usedMicros, again.leftMicros]).toEqual([
          b.boughtMicros,
          b.usedMicros,
          b.leftMicros,
        ])
        db.close()
      }),
      { numRuns: 60 },
    )
  }, 60_000)
})
