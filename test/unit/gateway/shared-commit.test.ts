import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/engine/db/database'
import { GroupCommitter } from '../../../electron/engine/db/group-commit'
import { openGatewayTasks, taskIdsFor } from '../../../electron/engine/gateway/gateway-tasks'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'

/** The ledger and the task store on one connection and one group commit, as the engine wires them. */
function stores() {
  const db = openDatabase(':memory:')
  let commits = 0 // each kill-safe group commit tells the WAL durability once
  const committer = new GroupCommitter(db, {
    sync: async () => undefined,
    noteUnsynced: () => void commits++,
  })
  const ledger = openSqliteLedger(db, { commits: committer })
  const tasks = openGatewayTasks(db, { commits: committer })
  return { db, ledger, tasks, commits: () => commits }
}

const begin = (attemptId: string) => ({
  attemptId,
  tenantId: 'acme',
  captchaType: 'turnstile' as const,
  providerAccount: 'sandbox:x',
  source: 'gateway' as const,
  createdAt: 1_000,
  reservedMicros: 0,
})
const task = (n: number) => ({
  tenantId: 'acme',
  attemptId: `A${n}`,
  captchaType: 'turnstile',
  pingback: null,
  createdAt: 1_000,
})

describe('ledger and gateway task store on one group commit', () => {
  it('commits the upstream task id and the tenant’s task row in one transaction, and neither before it', async () => {
    const { ledger, tasks, commits } = stores()
    await ledger.begin(begin('A1'))
    const before = commits()
    const recorded = ledger.markSubmitted('A1', '555', 1_100)
    const announced = tasks.announce(task(1))
    const T1 = String(taskIdsFor('A1')[0])
    expect(ledger.get('A1')?.upstreamTaskId).toBeNull()
    expect(tasks.get(T1)).toBeUndefined()
    const [, id] = await Promise.all([recorded, announced])
    expect(id).toBe(T1)
    expect(ledger.get('A1')?.upstreamTaskId).toBe('555')
    expect(tasks.get(T1)?.state).toBe('pending')
    expect(commits() - before).toBe(1)
  })

  it('a task row that fails rolls back alone: the task id beside it stays recorded', async () => {
    const { db, ledger, tasks } = stores()
    await ledger.begin(begin('A2'))
    db.exec(
      `CREATE TRIGGER no_rows BEFORE INSERT ON gateway_tasks BEGIN SELECT RAISE(ABORT, 'disk says no'); END`,
    )
    const recorded = ledger.markSubmitted('A2', '556', 1_100)
    await expect(tasks.announce(task(2))).rejects.toThrow('disk says no')
    await recorded
    expect(ledger.get('A2')?.upstreamTaskId).toBe('556')
    expect(tasks.get(String(taskIdsFor('A2')[0]))).toBeUndefined()
  })

  it('answers that end together share one transaction; listeners hear each once it is stored', async () => {
    const { ledger, tasks, commits } = stores()
    const ids: string[] = []
    for (const n of [3, 4]) {
      await ledger.begin(begin(`A${n}`))
      ids.push(await tasks.announce(task(n)))
    }
    const heard: Array<{ id: string; stored: boolean }> = []
    tasks.onEnded((t) => heard.push({ id: t.taskId, stored: tasks.get(t.taskId)?.state === 'solved' }))
    const before = commits()
    const a = tasks.deliver('A3', { status: 'solved', answer: 'X', priceMicros: 1 })
    const b = tasks.deliver('A4', { status: 'solved', answer: 'Y', priceMicros: 1 })
    expect(heard).toEqual([])
    await Promise.all([a, b])
    expect(commits() - before).toBe(1)
    expect(heard).toEqual([
      { id: ids[0], stored: true },
      { id: ids[1], stored: true },
    ])
  })

  it('an in.php’s writes go in the next commit ahead of a backlog of answers being stored', async () => {
    const { ledger, tasks } = stores()
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
    const done: string[] = []
    // A batched poll's answers: 200 deliveries queued in one tick (a slice of them per commit).
    const backlog = Array.from({ length: 200 }, (_, i) =>
      tasks.deliver(`old${i}`, { status: 'solved', answer: 'x', priceMicros: 0 }),
    )
    void ledger.begin(begin('N1')).then(() => done.push('ledger row'))
    await tick()
    expect(done).toEqual(['ledger row'])
    void ledger.markSubmitted('N1', '777', 1_100).then(() => done.push('upstream id'))
    void tasks.announce({ ...task(1), attemptId: 'N1' }).then(() => done.push('task row'))
    await tick()
    expect(done).toEqual(['ledger row', 'upstream id', 'task row'])
    await Promise.all(backlog)
  })
})
