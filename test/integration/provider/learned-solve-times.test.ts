/**
 * A restart keeps what polling learned: the engine saves the provider client's solve-time model (every few minutes
 * and at close) and the next engine on the same folder starts from it; a stored model that does not fit is ignored.
 * Real engine, embedded Sandbox, real database. The cases run in order on one data folder, each a restart of the
 * last. (That the restored model changes the polling plan is the unit tests' and the provider bench's: the Sandbox
 * profile here polls in batches, which plan from no model.)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../../electron/engine/app/engine'

const dir = mkdtempSync(join(tmpdir(), 'learned-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const turnstile = {
  type: 'turnstile',
  sitekey: '0x4AAAAAAAC3DHQFLr1GavRN',
  pageurl: 'https://example.com',
} as const

async function open(learnedSaveMs?: number): Promise<Engine> {
  const engine = await createEngine({
    dataDir: dir,
    sandboxSpeed: 1000,
    weakKdfForTests: true,
    learnedSaveMs,
  })
  if (!engine.vault.exists()) await engine.vault.create('learned passphrase 1')
  else await engine.vault.unlock('learned passphrase 1')
  await engine.afterUnlock()
  return engine
}

async function solveSome(engine: Engine, n: number): Promise<void> {
  const t = engine.tenants.list()[0] ?? engine.tenants.create({ name: 'Learner' }, 'test')
  for (let i = 0; i < n; i++)
    expect((await engine.solver.solve(t.id, turnstile, { source: 'console' })).status).toBe('solved')
}

/** The stored row, read as another process would (the engine is still running, or was killed). */
function storedObserved(): number | undefined {
  const db = new DatabaseSync(join(dir, 'engine.db'), { readOnly: true })
  try {
    const row = db.prepare("SELECT snapshot FROM learned_solve_times WHERE upstream = 'sandbox'").get() as
      { snapshot: string } | undefined
    return row
      ? (JSON.parse(row.snapshot) as { types: { turnstile?: { observed: number } } }).types.turnstile
          ?.observed
      : undefined
  } finally {
    db.close()
  }
}

describe('learned solve times across restarts', () => {
  it('are saved while the engine runs, so a kill loses only the minutes since the last save', async () => {
    const engine = await open(100)
    try {
      expect(storedObserved()).toBeUndefined()
      await solveSome(engine, 12)
      expect(engine.provider().solveTimes().types.turnstile?.observed).toBe(12)
      await new Promise((r) => setTimeout(r, 400))
      // Not closed yet: what a kill -9 now would leave.
      expect(storedObserved()).toBe(12)
    } finally {
      await engine.close()
    }
  })

  it('the next engine starts from them instead of the timing table, and goes on learning', async () => {
    const engine = await open()
    try {
      const restored = engine.provider().solveTimes().types.turnstile
      expect(restored?.observed).toBe(12)
      await solveSome(engine, 5)
      expect(engine.provider().solveTimes().types.turnstile?.observed).toBe(17)
    } finally {
      await engine.close()
    }
    expect(storedObserved()).toBe(17) // saved at close
  })

  it('a setting change that keeps the upstream hands what was learned to the new client', async () => {
    const engine = await open()
    try {
      await solveSome(engine, 2)
      const before = engine.provider()
      engine.settings.update({ requestTimeoutSeconds: engine.settings.get().requestTimeoutSeconds + 1 })
      const after = engine.provider()
      expect(after).not.toBe(before)
      expect(after.solveTimes().types.turnstile?.observed).toBe(19)
    } finally {
      await engine.close()
    }
    expect(storedObserved()).toBe(19)
  })

  it('a stored model that does not fit is ignored: polling starts afresh, and the next save replaces it', async () => {
    await startsAfreshFrom(
      JSON.stringify({
        format: 1,
        binMs: 250,
        bins: 2400,
        types: { turnstile: { observed: 3, belief: 'AAAA' } },
      }),
      3,
    )
    // Not even JSON: logged as unreadable, and the engine serves all the same.
    await startsAfreshFrom('{not json', 1)
  })
})

/** With `snapshot` stored for the Sandbox, the next engine starts afresh, solves `n` and saves what it learned. */
async function startsAfreshFrom(snapshot: string, n: number): Promise<void> {
  const db = new DatabaseSync(join(dir, 'engine.db'))
  db.prepare("UPDATE learned_solve_times SET snapshot = ? WHERE upstream = 'sandbox'").run(snapshot)
  db.close()
  const engine = await open()
  try {
    expect(engine.provider().solveTimes().types).toEqual({})
    await solveSome(engine, n)
  } finally {
    await engine.close()
  }
  expect(storedObserved()).toBe(n)
}
