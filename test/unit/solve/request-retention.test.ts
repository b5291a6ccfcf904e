/**
 * A task waits for its answer without its request: once in.php has sent an image upstream, neither the gateway nor
 * the solve service keeps the body (tens of KB of base64) for the seconds or minutes the answer takes. With thousands
 * of tasks in flight, bodies kept would be held in memory and copied by every young-generation GC.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import type { CaptchaRequest } from '@shared/captcha'
import { createAdmissionController } from '../../../electron/engine/admission'
import { openDatabase } from '../../../electron/engine/db/database'
import { GroupCommitter } from '../../../electron/engine/db/group-commit'
import { BadKeyGuard } from '../../../electron/engine/gateway/bad-key-guard'
import { createGatewayCore } from '../../../electron/engine/gateway/gateway-core'
import { openGatewayTasks } from '../../../electron/engine/gateway/gateway-tasks'
import type { ProviderClient, TaskOutcome } from '../../../electron/engine/provider'
import { createSolveService } from '../../../electron/engine/solve'
import { makePng } from '../../support/images'
import { tenantFixture } from '../../support/tenant-fixture'
import { flatPricing, MemoryLedger, ScriptedProvider, staticKeys } from './fakes'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Lets pending finalisation and microtasks run, then collects everything unreachable. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0))
    gc()
  }
}

/**
 * A provider that records a weak reference to each request it is given, submits, and then holds the task until
 * released — keeping nothing of the request itself while it waits.
 */
class HoldingProvider extends ScriptedProvider {
  readonly seen: Array<WeakRef<CaptchaRequest>> = []
  private readonly release: Array<() => void> = []
  private nextId = 5000

  override solve(
    _key: string,
    req: CaptchaRequest,
    opts: Parameters<ProviderClient['solve']>[2] = {},
  ): Promise<TaskOutcome> {
    this.seen.push(new WeakRef(req))
    return this.submitThenHold(String(this.nextId++), opts)
  }

  private async submitThenHold(
    taskId: string,
    opts: Parameters<ProviderClient['solve']>[2] = {},
  ): Promise<TaskOutcome> {
    const submittedAt = Date.now()
    await opts.onSubmitted?.({ taskId, submittedAt })
    await new Promise<void>((resolve) => this.release.push(resolve))
    return { status: 'solved', taskId, answer: 'ANSWER', submittedAt, readyAt: Date.now() }
  }

  waiting(): number {
    return this.release.length
  }

  releaseAll(): void {
    for (const r of this.release.splice(0)) r()
  }
}

describe('a task in flight keeps no request body', () => {
  it('after in.php, neither the gateway nor the solve service holds the request; the answer still arrives', async () => {
    const tenant = tenantFixture('t1')
    const provider = new HoldingProvider()
    const ledger = new MemoryLedger()
    const db = openDatabase(':memory:')
    const tasks = openGatewayTasks(db, { commits: new GroupCommitter(db) })
    const solver = createSolveService({
      tenants: { get: (id) => (id === tenant.id ? tenant : undefined) },
      ledger,
      admission: createAdmissionController({}),
      keys: staticKeys,
      provider,
      pricing: flatPricing,
      results: tasks, // as the engine wires it: answers go to the gateway's task store
    })
    const gateway = createGatewayCore({
      keys: { lookup: () => undefined } as never,
      solver,
      tenants: { get: (id) => (id === tenant.id ? tenant : undefined) },
      tasks,
      guard: new BadKeyGuard(),
      balance: () => 0,
    })

    const sent: Array<WeakRef<CaptchaRequest>> = []
    const taskIds: string[] = []
    // Built in a function of its own, so this test's frame holds no request either.
    const submitImage = async (seed: number): Promise<void> => {
      const request: CaptchaRequest = { type: 'image', body: makePng(120, 60, seed).toString('base64') }
      sent.push(new WeakRef(request))
      const reply = await gateway.submit(tenant, request)
      if (!reply.ok) throw new Error(`refused: ${reply.code}`)
      taskIds.push(reply.taskId)
    }
    for (let i = 0; i < 5; i++) await submitImage(i + 1)

    expect(provider.waiting()).toBe(5) // every task is in flight, waiting for its answer
    await collect()
    expect(sent.map((r) => r.deref())).toEqual([undefined, undefined, undefined, undefined, undefined])
    expect(provider.seen.map((r) => r.deref())).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])

    provider.releaseAll()
    await solver.drain()
    for (const id of taskIds)
      expect(gateway.result(tenant, id)).toMatchObject({ state: 'solved', answer: 'ANSWER' })
    expect(ledger.byStatus('solved')).toHaveLength(5)
    db.close()
  })
})
