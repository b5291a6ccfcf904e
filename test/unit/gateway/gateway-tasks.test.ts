import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/engine/db/database'
import { GroupCommitter } from '../../../electron/engine/db/group-commit'
import { migrate } from '../../../electron/engine/db/migrations'
import {
  GATEWAY_TASK_MIGRATIONS,
  openGatewayTasks,
  taskIdsFor,
  type GatewayTaskOptions,
} from '../../../electron/engine/gateway/gateway-tasks'
import type { AttemptRecord } from '../../../electron/engine/ledger/types'

const task = (n: number) => ({
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
    const T1 = await store.announce(task(1))
    expect(store.get(T1)).toMatchObject({ state: 'pending', answer: null, priceMicros: null })
    await store.deliver('A1', { status: 'solved', answer: 'ABC', priceMicros: 3_000 })
    expect(store.get(T1)).toMatchObject({
      state: 'solved',
      answer: 'ABC',
      priceMicros: 3_000,
      endedAt: 2_000,
    })
    // A second outcome for the same attempt changes nothing: a delivered answer stands.
    clock = 3_000
    await store.deliver('A1', { status: 'failed', code: 'ERROR_CAPTCHA_UNSOLVABLE' })
    expect(store.get(T1)).toMatchObject({
      state: 'solved',
      answer: 'ABC',
      priceMicros: 3_000,
      endedAt: 2_000,
    })
  })

  it('gives 12-digit ids drawn from the attempt id, the next one when it is taken; an attempt is announced once', async () => {
    const db = openDatabase(':memory:')
    const store = openGatewayTasks(db, { now: () => 5, commits: new GroupCommitter(db) })
    const ids = taskIdsFor('A5')
    expect(ids).toHaveLength(4)
    expect(new Set(ids).size).toBe(4)
    for (const id of ids) expect(String(id)).toMatch(/^[1-9]\d{11}$/)
    expect(taskIdsFor('A5')).toEqual(ids) // the same attempt, the same ids
    expect(taskIdsFor('A6')).not.toEqual(ids)
    // Another attempt holds A5's first two ids (as if it had drawn them): A5 gets its third.
    const take = db.prepare(
      "INSERT INTO gateway_tasks (task_id, tenant_id, attempt_id, captcha_type, state, created_at) VALUES (?, 'other', 'X', 'image', 'pending', 1)",
    )
    take.run(ids[0]!)
    take.run(ids[1]!)
    await expect(store.announce(task(5))).resolves.toBe(String(ids[2]))
    expect(store.get(String(ids[2]))?.attemptId).toBe('A5')
    expect(store.get(String(ids[0]))?.tenantId).toBe('other')
    await store.deliver('A5', { status: 'solved', answer: 'OK', priceMicros: 1 })
    expect(store.get(String(ids[2]))).toMatchObject({ state: 'solved', answer: 'OK' })
    expect(store.get(String(ids[0]))?.state).toBe('pending') // not A5's
    await expect(store.announce(task(5))).rejects.toThrow(/has a task already/)
    const [a7] = taskIdsFor('A7')
    for (const id of taskIdsFor('A7')) take.run(id)
    await expect(store.announce(task(7))).rejects.toThrow(/every task id/)
    expect(store.get(String(a7))?.attemptId).toBe('X')
  })

  it('reads only ids that can be keys: anything else is unknown, never an error', async () => {
    const store = storeWith({ now: () => 5 })
    const id = await store.announce(task(8))
    for (const bad of ['', 'abc', '0', `0${id}`, '1234567890123456', '-5', '1e11', ' 1'])
      expect(store.get(bad)).toBeUndefined()
    store.markFetched('abc', 1)
    expect(store.markReported('1e11', 1)).toBe(false)
    expect(store.get(id)?.attemptId).toBe('A8')
  })

  it('a failure has a code and no price; an attempt it never announced is not deliverable', async () => {
    const store = storeWith({ now: () => 5 })
    const T2 = await store.announce(task(2))
    await store.deliver('A2', { status: 'failed', code: 'ERROR_CAPTCHA_UNSOLVABLE' })
    expect(store.get(T2)).toMatchObject({
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
    const T3 = await store.announce(task(3))
    const T4 = await store.announce(task(4))
    await store.deliver('A3', { status: 'solved', answer: 'X', priceMicros: 1 })
    await store.deliver('A3', { status: 'solved', answer: 'Y', priceMicros: 2 })
    await store.deliver('A4', { status: 'solved', answer: 'Z', priceMicros: 1 })
    expect(ended).toEqual([T3, T4])
    store.markFetched(T3, 50)
    expect(store.sweep(149)).toBe(0)
    expect(store.sweep(151)).toBe(1)
    expect(store.get(T3)).toBeUndefined()
    expect(store.sweep(999)).toBe(0)
    expect(store.sweep(1_001)).toBe(1)
    expect(store.get(T4)).toBeUndefined()
  })

  it('sweeps in chunks when asked: at most maxRows per call, the rest on the next, nothing that is not due', async () => {
    const store = sweptStore()
    const ids: string[] = []
    for (let n = 10; n < 17; n++) {
      ids.push(await store.announce(task(n)))
      await store.deliver(`A${n}`, { status: 'solved', answer: 'X', priceMicros: 1 })
    }
    store.markFetched(ids[0]!, 50)
    store.markFetched(ids[1]!, 50)
    const T17 = await store.announce(task(17)) // still pending: never swept before a day has passed
    expect(store.sweep(151, 1)).toBe(1) // one of the two fetched ones
    expect(store.sweep(151, 5)).toBe(1) // the other; the unfetched are within retention
    expect(store.sweep(1_001, 3)).toBe(3)
    expect(store.sweep(1_001, 3)).toBe(2)
    expect(store.sweep(1_001, 3)).toBe(0)
    expect(store.get(T17)).toBeDefined()
    expect(store.sweep(1_001 + 86_400_000, Infinity)).toBe(1) // not a whole number: no limit
    expect(store.get(T17)).toBeUndefined()
  })

  it('a store from before drawn ids keeps its tasks: the ids tenants hold still read, and their attempts still deliver', async () => {
    const db = openDatabase(':memory:')
    migrate(db, 'gateway-tasks', GATEWAY_TASK_MIGRATIONS.slice(0, 4))
    const old =
      db.prepare(`INSERT INTO gateway_tasks (task_id, tenant_id, attempt_id, captcha_type, state, answer,
      price_micros, created_at, ended_at) VALUES (?, 'acme', ?, 'image', ?, ?, ?, 1000, ?)`)
    old.run('345678901234', 'L1', 'pending', null, null, null)
    old.run('456789012345', 'L2', 'solved', 'ANSWER', 2_000, 1_500)
    old.run('T9', 'L3', 'pending', null, null, null) // no release gave such ids; not a key, so it cannot stay
    const store = openGatewayTasks(db, { now: () => 3_000, commits: new GroupCommitter(db) })
    expect(store.get('345678901234')).toMatchObject({ attemptId: 'L1', state: 'pending', createdAt: 1_000 })
    expect(store.get('456789012345')).toMatchObject({ attemptId: 'L2', state: 'solved', answer: 'ANSWER' })
    expect(Number((db.prepare('SELECT COUNT(*) AS n FROM gateway_tasks').get() as { n: number }).n)).toBe(2)
    const attempt = (attemptId: string) => ({ attemptId, source: 'gateway' }) as AttemptRecord
    expect(store.deliverable(attempt('L1'))).toBe(true)
    expect(store.deliverable(attempt('L2'))).toBe(true) // ended, not yet billed when the process stopped
    expect(store.deliverable(attempt('L3'))).toBe(false)
    await store.deliver('L1', { status: 'solved', answer: 'LATE', priceMicros: 1_000 })
    expect(store.get('345678901234')).toMatchObject({ state: 'solved', answer: 'LATE', endedAt: 3_000 })
    // New tasks get drawn ids, written without touching the index of the old ones.
    const id = await store.announce(task(20))
    expect(id).toBe(String(taskIdsFor('A20')[0]))
    const given = db.prepare(
      'SELECT attempt_id FROM gateway_tasks INDEXED BY gateway_tasks_given WHERE id_drawn = 0',
    )
    expect(
      given
        .all()
        .map((r) => (r as { attempt_id: string }).attempt_id)
        .sort(),
    ).toEqual(['L1', 'L2'])
    const indexes = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'gateway_tasks' ORDER BY name",
      )
      .all()
      .map((r) => (r as { name: string }).name)
    expect(indexes).toEqual([
      'gateway_tasks_ended',
      'gateway_tasks_fetched',
      'gateway_tasks_given',
      'gateway_tasks_pending',
    ])
  })
})
