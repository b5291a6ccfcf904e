import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAlertEngine } from '../../../electron/engine/alerts/alert-engine'
import {
  createBalanceChecker,
  DEFAULT_BALANCE_INTERVAL_MS,
  type Timers,
} from '../../../electron/engine/balances/balance-checker'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { ProviderError, type ProviderClient } from '../../../electron/engine/provider'

const PLATFORM = 'P'.repeat(32)
const ACME = 'A'.repeat(32)
const BROKEN = 'B'.repeat(32)

let db: Database
beforeEach(() => {
  db = openDatabase(':memory:')
})
afterEach(() => db.close())

/** A provider double: balances per key; a gate to hold calls open; records concurrency. */
function fakeProvider(balances: Record<string, number | Error>) {
  let active = 0
  let gate: Promise<void> | undefined
  const state = { calls: 0, maxActive: 0, open: () => undefined as void }
  const client = {
    async getBalance(apiKey: string) {
      state.calls++
      active++
      state.maxActive = Math.max(state.maxActive, active)
      try {
        if (gate) await gate
        const b = balances[apiKey]
        if (b === undefined)
          throw new ProviderError('ERROR_KEY_DOES_NOT_EXIST', 'stop_key', `bad key ${apiKey}`)
        if (b instanceof Error) throw b
        return b
      } finally {
        active--
      }
    },
  } as unknown as ProviderClient
  return {
    client,
    state,
    hold() {
      gate = new Promise((r) => (state.open = () => ((gate = undefined), r())))
    },
  }
}

function fakeTimers() {
  const ticks: Array<{ fn: () => void; ms: number }> = []
  const timers: Timers = {
    setInterval: (fn, ms) => {
      const h = { fn, ms }
      ticks.push(h)
      return h
    },
    clearInterval: (h) => {
      const i = ticks.indexOf(h as (typeof ticks)[number])
      if (i >= 0) ticks.splice(i, 1)
    },
  }
  return { timers, ticks }
}

const keys = {
  platform: () => ({ account: 'sandbox:pppp', label: 'Platform key', apiKey: PLATFORM }),
  tenants: () => [
    { tenantId: 't_a', account: 'sandbox:aaaa', label: 'Acme (own key)', apiKey: ACME },
    { tenantId: 't_b', account: 'sandbox:bbbb', label: 'Beta (own key)', apiKey: BROKEN },
  ],
}

describe('balance checks', () => {
  it('checks the platform key and every tenant key; per-key errors are codes, never keys or messages', async () => {
    const p = fakeProvider({ [PLATFORM]: 500_000, [ACME]: 9_000_000, [BROKEN]: new Error(`boom ${BROKEN}`) })
    let now = 1_000
    const alerts = createAlertEngine(db, () => now)
    const checker = createBalanceChecker({
      db,
      provider: () => p.client,
      keys,
      alerts,
      now: () => now++,
      lowBalanceMicros: (a) => (a === 'sandbox:aaaa' ? 10_000_000 : undefined),
    })
    const results = await checker.checkNow()
    expect(results.map((r) => [r.account, r.balanceMicros, r.errorCode])).toEqual([
      ['sandbox:pppp', 500_000, null],
      ['sandbox:aaaa', 9_000_000, null],
      ['sandbox:bbbb', null, 'CHECK_FAILED'],
    ])
    // Platform below the default 1.00; Acme below its own 10.00 threshold.
    expect(
      alerts
        .list({ activeOnly: true })
        .map((a) => a.subject)
        .sort(),
    ).toEqual(['account:sandbox:aaaa', 'account:sandbox:pppp'])
    const stored = JSON.stringify(db.prepare('SELECT * FROM balance_checks').all())
    for (const k of [PLATFORM, ACME, BROKEN]) expect(stored).not.toContain(k)
    expect(stored).not.toContain('boom')
    expect(checker.latest().map((c) => c.account)).toEqual(['sandbox:aaaa', 'sandbox:bbbb', 'sandbox:pppp'])
    expect(checker.history('sandbox:pppp')).toEqual([
      {
        account: 'sandbox:pppp',
        label: 'Platform key',
        checkedAt: 1_000,
        balanceMicros: 500_000,
        errorCode: null,
      },
    ])
  })

  it('records upstream error codes and accepts the accounts() key source', async () => {
    const p = fakeProvider({ [PLATFORM]: 3_000_000 })
    const checker = createBalanceChecker({
      db,
      provider: () => p.client,
      keys: { accounts: () => [{ account: 'x:1', label: 'Stale', apiKey: 'z'.repeat(32) }] },
    })
    expect((await checker.checkNow())[0]).toMatchObject({
      errorCode: 'ERROR_KEY_DOES_NOT_EXIST',
      balanceMicros: null,
    })
  })

  it('a locked vault (keys unreadable) checks nothing and records nothing', async () => {
    const p = fakeProvider({})
    const checker = createBalanceChecker({
      db,
      provider: () => p.client,
      keys: {
        accounts: () => {
          throw new Error('vault locked')
        },
      },
    })
    expect(await checker.checkNow()).toEqual([])
    expect(checker.history()).toEqual([])
  })

  it('runs on a schedule (default 15 minutes) without overlapping runs, and stops', async () => {
    const p = fakeProvider({ [PLATFORM]: 5_000_000, [ACME]: 5_000_000, [BROKEN]: 5_000_000 })
    const { timers, ticks } = fakeTimers()
    const checker = createBalanceChecker({ db, provider: () => p.client, keys, timers })
    checker.start()
    expect(ticks.map((t) => t.ms)).toEqual([DEFAULT_BALANCE_INTERVAL_MS])
    p.hold()
    ticks[0]!.fn()
    ticks[0]!.fn() // a tick during a run joins it
    const manual = checker.checkNow() // so does a click
    expect(checker.running).toBe(true)
    await new Promise((r) => setImmediate(r))
    expect(p.state.calls).toBe(1) // keys are checked one at a time
    p.state.open()
    const results = await manual
    expect(results).toHaveLength(3)
    expect(p.state.maxActive).toBe(1)
    expect(checker.history()).toHaveLength(3)
    expect(checker.running).toBe(false)
    ticks[0]!.fn()
    await new Promise((r) => setTimeout(r, 10))
    expect(checker.history()).toHaveLength(6)
    checker.start(60_000) // restart replaces the timer
    expect(ticks.map((t) => t.ms)).toEqual([60_000])
    checker.stop()
    expect(ticks).toEqual([])
    expect(() => checker.start(10)).toThrow(RangeError)
  })
})
