/** The store of learned solve times: one row per upstream, written only when it changed, read back as it was saved. */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/engine/db/database'
import { GroupCommitter } from '../../../electron/engine/db/group-commit'
import {
  openLearnedSolveTimes,
  UnreadableSolveTimesError,
  upstreamOf,
} from '../../../electron/engine/provider/learned-solve-times'
import { SolveTimeModel } from '../../../electron/engine/provider/solve-time-model'

function setup() {
  const db = openDatabase(':memory:')
  const committer = new GroupCommitter(db)
  let writes = 0
  const commits = {
    write: <T>(run: () => T, options?: { durable?: boolean }): Promise<T> => {
      writes++
      return committer.write(run, options)
    },
  }
  let clock = 1_000
  const store = openLearnedSolveTimes(db, { commits, now: () => clock })
  return { db, store, writes: () => writes, tick: () => (clock += 1_000) }
}

const snapshotWith = (answers: number) => {
  const m = new SolveTimeModel(() => ({ fromMs: 5_000, toMs: 20_000 }))
  for (let i = 0; i < answers; i++) m.observe('turnstile', 1_000, 2_000)
  return m.snapshot()
}

describe('learned solve times store', () => {
  it('reads back what was saved for the upstream, and nothing for another', async () => {
    const { store } = setup()
    const s = snapshotWith(5)
    await store.save('captchaai|https://ocr.captchaai.com', s)
    expect(store.load('captchaai|https://ocr.captchaai.com')).toEqual(JSON.parse(JSON.stringify(s)))
    expect(store.load('sandbox')).toBeUndefined()
  })

  it('does not write a snapshot again while it has not changed', async () => {
    const { db, store, writes, tick } = setup()
    const savedAt = () =>
      (
        db.prepare("SELECT saved_at FROM learned_solve_times WHERE upstream = 'sandbox'").get() as {
          saved_at: number
        }
      ).saved_at
    await store.save('sandbox', snapshotWith(5))
    tick()
    await store.save('sandbox', snapshotWith(5))
    expect(writes()).toBe(1)
    expect(savedAt()).toBe(1_000)
    await store.save('sandbox', snapshotWith(6))
    expect(writes()).toBe(2)
    expect(savedAt()).toBe(2_000)
  })

  it('a row that is not JSON, or is far too large, is reported as unreadable', () => {
    const { db, store } = setup()
    const put = db.prepare('INSERT INTO learned_solve_times (upstream, snapshot, saved_at) VALUES (?, ?, 0)')
    put.run('a', '{"format":1,')
    put.run('b', JSON.stringify({ pad: 'x'.repeat(2_100_000) }))
    expect(() => store.load('a')).toThrow(UnreadableSolveTimesError)
    expect(() => store.load('a')).toThrow(/not JSON/)
    expect(() => store.load('b')).toThrow(/characters/)
  })

  it('names an upstream by provider and address; the Sandbox is one upstream on any port', () => {
    expect(upstreamOf('sandbox', 'http://127.0.0.1:41234')).toBe('sandbox')
    expect(upstreamOf('sandbox', 'http://127.0.0.1:50000/')).toBe('sandbox')
    expect(upstreamOf('custom', 'https://solver.example/api/')).toBe('custom|https://solver.example/api')
    expect(upstreamOf('captchaai', 'https://ocr.captchaai.com')).not.toBe(
      upstreamOf('2captcha', 'https://ocr.captchaai.com'),
    )
  })
})
