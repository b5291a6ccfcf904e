import { afterEach, describe, expect, it } from 'vitest'
import type { CaptchaType } from '@shared/captcha'
import { KeyPoller } from '../../../electron/engine/provider/key-poller'
import type { BatchSupport } from '../../../electron/engine/provider/poller-core'
import { SolveTimeModel } from '../../../electron/engine/provider/solve-time-model'
import { DEFAULT_POLL_POLICY, NO_ADVICE, TIMING_BY_PROFILE } from '../../../electron/engine/provider/timing'

const SPEED = 1_000
let poller: KeyPoller | undefined
afterEach(() => poller?.close())

/**
 * A poller on a fake upstream: `ready(id)` says whether a task is ready; the model records what the poller tells it
 * about time spent waiting.
 */
function setup(
  state: BatchSupport['state'],
  ready: (id: string) => boolean,
  prior = { fromMs: 1_000, toMs: 2_000 },
  policy = DEFAULT_POLL_POLICY,
) {
  const model = new SolveTimeModel(() => prior)
  const waited: Array<{ type: CaptchaType; fromMs: number; toMs: number; share: number }> = []
  const observeWaiting = model.observeWaiting.bind(model)
  model.observeWaiting = (type, fromMs, toMs, share = 1) => {
    waited.push({ type, fromMs, toMs, share })
    observeWaiting(type, fromMs, toMs, share)
  }
  const start = performance.now()
  poller = new KeyPoller({
    get: async (params) => {
      const ids = (params.ids ?? params.id ?? '').split(',')
      const piece = (id: string): string => (ready(id) ? `ANS-${id}` : 'CAPCHA_NOT_READY')
      if (ids.length > 1) return { ok: true, request: ids.map(piece).join('|') }
      const p = piece(ids[0]!)
      return { ok: p !== 'CAPCHA_NOT_READY', request: p }
    },
    batch: { state, probing: false, inconclusive: 0 },
    policy,
    advice: NO_ADVICE,
    model,
    timing: (type) => TIMING_BY_PROFILE.captchaai[type],
    zeroBalanceMeansNoThreads: true,
    speed: SPEED,
    now: () => performance.now() - start,
    onIdle: () => {},
  })
  return { model, waited, poller }
}

describe('key poller: what single gets teach the solve-time model', () => {
  it('every "not ready" reports the time the task waited, and an answer half of its last interval', async () => {
    let aReady = false
    const { waited, model, poller } = setup('no', (id) => id === 'A' && aReady)
    const a = poller.wait({ taskId: 'A', type: 'geetest', submittedAt: 0 }, 1_000)
    const b = poller.wait({ taskId: 'B', type: 'geetest', submittedAt: 0 }, 1_000)
    // Both are polled a few times ("not ready"), then A turns ready while B keeps waiting.
    const reports = (): number => waited.filter((w) => w.share === 1).length
    for (let i = 0; i < 500 && reports() < 4; i++) await new Promise((r) => setTimeout(r, 2))
    expect(reports()).toBeGreaterThanOrEqual(4)
    aReady = true
    expect((await a).status).toBe('solved')
    const notReady = waited.filter((w) => w.share === 1)
    const answered = waited.filter((w) => w.share === 0.5)
    expect(answered).toHaveLength(1)
    expect(notReady.every((w) => w.type === 'geetest' && w.toMs > w.fromMs)).toBe(true)
    expect(notReady.filter((w) => w.fromMs === 0)).toHaveLength(2) // each task's first report starts at submit
    // A's answer covers its last "not ready" to the reply that found it ready, as the model's answer does.
    expect(answered[0]!.fromMs).toBeGreaterThan(0)
    // With answers and waiting both known there, the model can tell a rate at those ages.
    expect(model.readyRate('geetest', 0, answered[0]!.toMs + 1, 1)).toBeGreaterThan(0)
    poller.close()
    expect((await b).status).toBe('cancelled')
  })

  it('a pingback gives the exact moment: the task waited all the time since its last "not ready"', async () => {
    const { waited, poller } = setup('no', () => false)
    const a = poller.wait({ taskId: 'A', type: 'geetest', submittedAt: 0 }, 1_000)
    for (let i = 0; i < 500 && waited.length < 1; i++) await new Promise((r) => setTimeout(r, 2))
    expect(waited.length).toBeGreaterThanOrEqual(1)
    const last = waited.at(-1)!
    expect(poller.deliver('A', 'ANSWER')).toBe(true)
    expect((await a).status).toBe('solved')
    const delivered = waited.at(-1)!
    expect(delivered).toMatchObject({ type: 'geetest', share: 1 })
    expect(delivered.fromMs).toBeGreaterThanOrEqual(last.toMs)
    expect(delivered.toMs).toBeGreaterThan(delivered.fromMs)
  })

  it('batches plan no task from the model, so they report no waiting', async () => {
    let ready = false
    const { waited, poller } = setup('yes', () => ready)
    const a = poller.wait({ taskId: 'A', type: 'geetest', submittedAt: 0 }, 1_000)
    await new Promise((r) => setTimeout(r, 60))
    ready = true
    expect((await a).status).toBe('solved')
    expect(waited).toEqual([])
  })
})

describe('key poller: a model that expects answers after the deadline', () => {
  it('still asks once before the deadline, so a ready task is solved and the model learns from it', async () => {
    // What an outage teaches (or a model restored after one): answers at 400–500 s, with deadlines of 180 s.
    // The last moment worth a poll is the shortest gap before the deadline: 30 ms here at ×1,000, so timers that run
    // a few ms late on a busy machine still find it.
    const { poller, model } = setup(
      'no',
      () => true,
      { fromMs: 400_000, toMs: 500_000 },
      { ...DEFAULT_POLL_POLICY, minGapMs: 30_000 },
    )
    const outcome = await poller.wait({ taskId: 'A', type: 'geetest', submittedAt: 0 }, 180_000 / SPEED)
    expect(outcome.status).toBe('solved')
    expect(model.observed('geetest')).toBe(1)
  })
})
