import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { startSweeper } from '../../../electron/engine/app/gateway-composition'
import type { GatewayTaskStore } from '../../../electron/engine/gateway/gateway-tasks'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A store with `due` rows to forget; records the size of each sweep call. */
function storeWith(due: number, fail = false) {
  const calls: number[] = []
  let left = due
  let attempts = 0
  const tasks = {
    sweep(_now: number, maxRows = Infinity) {
      attempts++
      if (fail) throw new Error('disk I/O error')
      calls.push(maxRows)
      const n = Math.min(left, maxRows)
      left -= n
      return n
    },
  } as unknown as GatewayTaskStore
  return { tasks, calls, left: () => left, attempts: () => attempts }
}

describe('answer sweeper', () => {
  it('every 10 s deletes what is due in chunks of 500, one chunk per turn of the event loop', async () => {
    const store = storeWith(1_200)
    const log = vi.fn()
    const sweeper = startSweeper({ tasks: store.tasks, now: () => 0, log })
    await vi.advanceTimersByTimeAsync(9_999)
    expect(store.calls).toEqual([])
    vi.advanceTimersByTime(1) // the interval fires: one chunk, the next waits for another turn
    expect(store.calls).toEqual([500])
    expect(store.left()).toBe(700)
    vi.advanceTimersToNextTimer() // the next turn: another chunk
    expect(store.calls).toEqual([500, 500])
    vi.advanceTimersToNextTimer()
    expect(store.calls).toEqual([500, 500, 500]) // the third came back short: done until the next interval
    expect(store.left()).toBe(0)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(store.calls).toHaveLength(4)
    sweeper.stop()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(store.calls).toHaveLength(4)
    expect(log).not.toHaveBeenCalled()
  })

  it('a failed sweep is tried again every interval and logged once; stop ends a sweep between chunks', async () => {
    const failing = storeWith(10, true)
    const log = vi.fn()
    const a = startSweeper({ tasks: failing.tasks, now: () => 0, log })
    await vi.advanceTimersByTimeAsync(30_000)
    expect(failing.attempts()).toBe(3)
    expect(log).toHaveBeenCalledTimes(1)
    expect(log).toHaveBeenCalledWith('warn', 'gateway: sweeping old answers failed', {
      error: 'disk I/O error',
    })
    a.stop()

    const big = storeWith(5_000)
    const b = startSweeper({ tasks: big.tasks, now: () => 0, log })
    vi.advanceTimersByTime(10_000)
    expect(big.calls).toHaveLength(1)
    b.stop()
    await vi.advanceTimersByTimeAsync(30_000)
    expect(big.calls).toHaveLength(1)
    expect(big.left()).toBe(4_500)
  })
})
