import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/engine/db/database'
import { GroupCommitter } from '../../../electron/engine/db/group-commit'
import { openGatewayTasks, type GatewayTaskOptions } from '../../../electron/engine/gateway/gateway-tasks'
import type { AttemptRecord } from '../../../electron/engine/ledger/types'

const task = (n: number) => ({
  taskId: `T${n}`,
  tenantId: 'acme',
  attemptId: `A${n}`,
  captchaType: 'image',
  pingback: null,
  createdAt: 1_000,
})

/** A store on a database of its own, writing through its group commit as the engine's does. */
const storeWith = (options: Omit<GatewayTaskOptions, 'commits'>) => {
  const db = openDatabase(':memory:')
  return openGatewayTasks(db, { commits: new GroupCommitter(db), ...options })
}

/** A store at time 0 whose answers are kept 1 s unfetched, 100 ms after their first fetch. */
const sweptStore = () => storeWith({ now: () => 0, retentionMs: () => 1_000, fetchedGraceMs: 100 })

describe('gateway task store', () => {
  it('keeps an answer with the price it is billed at, so a reader never sees one without the other', async () => {
    let clock = 2_000
    const store = storeWith({ now: () => clock })
    await store.announce(task(1))
    expect(store.get('T1')).toMatchObject({ state: 'pending', answer: null, priceMicros: null })
    await store.deliver('A1', { status: 'solved', answer: 'ABC', priceMicros: 3_000 })
    expect(store.get('T1')).toMatchObject({
      state: 'solved',
      answer: 'ABC',
      priceMicros: 3_000,
      endedAt: 2_000,
    })
    // A second outcome for the same attempt changes nothing: a delivered answer stands.
    clock = 3_000
    await store.deliver('A1', { status: 'failed', code: 'ERROR_CAPTCHA_UNSOLVABLE' })
    expect(store.get('T1')).toMatchObject({
      state: 'solved',
      answer: 'ABC',
      priceMicros: 3_000,
      endedAt: 2_000,
    })
  })

  it('a task id is never given twice: a drawn id that is taken is drawn again, a given one is refused', async () => {
    const store = storeWith({ now: () => 5 })
    await store.announce(task(5))
    const draws = ['T5', 'T5', 'T6']
    await expect(store.announce({ ...task(6), taskId: () => draws.shift()! })).resolves.toBe('T6')
    expect(draws).toEqual([])
    expect(store.get('T6')?.attemptId).toBe('A6')
    await expect(store.announce({ ...task(7), taskId: 'T5' })).rejects.toThrow(/taken/)
    expect(store.get('T5')?.attemptId).toBe('A5')
  })

  it('a failure has a code and no price; an attempt it never announced is not deliverable', async () => {
    const store = storeWith({ now: () => 5 })
    await store.announce(task(2))
    await store.deliver('A2', { status: 'failed', code: 'ERROR_CAPTCHA_UNSOLVABLE' })
    expect(store.get('T2')).toMatchObject({
      state: 'failed',
      code: 'ERROR_CAPTCHA_UNSOLVABLE',
      priceMicros: null,
    })
    const attempt = (attemptId: string) => ({ attemptId, source: 'gateway' }) as AttemptRecord
    expect(store.deliverable(attempt('A2'))).toBe(true)
    expect(store.deliverable(attempt('A9'))).toBe(false)
  })

  it('forgets a fetched answer after the grace, an unfetched one after the retention, and tells listeners once', async () => {
    const store = sweptStore()
    const ended: string[] = []
    store.onEnded((t) => ended.push(t.taskId))
    await store.announce(task(3))
    await store.announce(task(4))
    await store.deliver('A3', { status: 'solved', answer: 'X', priceMicros: 1 })
    await store.deliver('A3', { status: 'solved', answer: 'Y', priceMicros: 2 })
    await store.deliver('A4', { status: 'solved', answer: 'Z', priceMicros: 1 })
    expect(ended).toEqual(['T3', 'T4'])
    store.markFetched('T3', 50)
    expect(store.sweep(149)).toBe(0)
    expect(store.sweep(151)).toBe(1)
    expect(store.get('T3')).toBeUndefined()
    expect(store.sweep(999)).toBe(0)
    expect(store.sweep(1_001)).toBe(1)
    expect(store.get('T4')).toBeUndefined()
  })

  it('sweeps in chunks when asked: at most maxRows per call, the rest on the next, nothing that is not due', async () => {
    const store = sweptStore()
    for (let n = 10; n < 17; n++) {
      await store.announce(task(n))
      await store.deliver(`A${n}`, { status: 'solved', answer: 'X', priceMicros: 1 })
    }
    store.markFetched('T10', 50)
    store.markFetched('T11', 50)
    await store.announce(task(17)) // still pending: never swept before a day has passed
    expect(store.sweep(151, 1)).toBe(1) // one of the two fetched ones
    expect(store.sweep(151, 5)).toBe(1) // the other; the unfetched are within retention
    expect(store.sweep(1_001, 3)).toBe(3)
    expect(store.sweep(1_001, 3)).toBe(2)
    expect(store.sweep(1_001, 3)).toBe(0)
    expect(store.get('T17')).toBeDefined()
    expect(store.sweep(1_001 + 86_400_000, Infinity)).toBe(1) // not a whole number: no limit
    expect(store.get('T17')).toBeUndefined()
  })
})
