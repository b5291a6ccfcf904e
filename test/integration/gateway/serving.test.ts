/**
 * Serving in the engine as the app wires it: a restarted host on the embedded Sandbox solves at once; locking the
 * console (by hand, or the idle auto-lock firing) does not cost a single gateway solve; only Stop seals the keys;
 * the status is truthful.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../../electron/engine/app/engine'
import { createGatewayController } from '../../../electron/engine/app/gateway-controller'
import { createHandlers } from '../../../electron/engine/app/handlers'
import { startHostProcess, writePassphraseFile } from '../../support/host-process'

const PASSPHRASE = 'correct horse battery staple'
const dirs: string[] = []
const engines: Engine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close(0).catch(() => undefined)
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const call = async (url: string, path: string, params: Record<string, string>): Promise<string> =>
  (await fetch(`${url}${path}`, { method: 'POST', body: new URLSearchParams(params) })).text()

async function solveThrough(url: string, key: string): Promise<string> {
  const r = await call(url, '/in.php', {
    key,
    method: 'turnstile',
    sitekey: 's',
    pageurl: 'https://example.com',
  })
  if (!r.startsWith('OK|')) return r
  const id = r.slice(3)
  for (let i = 0; i < 400; i++) {
    const a = await call(url, '/res.php', { key, action: 'get', id })
    if (a !== 'CAPCHA_NOT_READY') return a
    await new Promise((res) => setTimeout(res, 50))
  }
  return 'TIMEOUT'
}

describe('restart with the embedded Sandbox', () => {
  it('solves succeed at once after an unattended restart (task ids never collide)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'captchadesk-embedded-'))
    dirs.push(dir)
    const e = await createEngine({ dataDir: dir, sandboxSpeed: 500 })
    e.settings.update({ gateway: { ...e.settings.get().gateway, enabled: true, port: 0 } })
    await e.vault.create(PASSPHRASE)
    await e.afterUnlock() // seeds the Sandbox demo key as the platform key
    const t = e.tenants.create({ name: 'Embedded Co' }, 'test')
    const { key } = e.gatewayKeys.issue(t.id, 0)
    await e.close(0)
    const pass = writePassphraseFile(dir, PASSPHRASE)
    for (let round = 0; round < 3; round++) {
      const host = await startHostProcess(dir, pass, ['--sandbox-speed', '500'])
      try {
        const answers = await Promise.all(Array.from({ length: 6 }, () => solveThrough(host.gatewayUrl, key)))
        for (const a of answers) expect(a, `round ${round}`).toMatch(/^OK\|/)
      } finally {
        expect(await host.stop('SIGTERM')).toBe('0')
      }
    }
  }, 180_000)
})

describe('console lock ≠ serving stops', () => {
  async function serving(clock: { now: number }) {
    const dir = mkdtempSync(join(tmpdir(), 'captchadesk-lock-'))
    dirs.push(dir)
    const engine = await createEngine({
      dataDir: dir,
      sandboxSpeed: 2_000,
      weakKdfForTests: true,
      now: () => clock.now,
      settingsOverrides: { autoLockMinutes: 1 },
    })
    engines.push(engine)
    const gateway = createGatewayController(engine)
    const handlers = createHandlers({ engine, gateway, version: 'test', exportTarget: async () => null })
    await handlers['vault.create']({ passphrase: PASSPHRASE })
    const t = engine.tenants.create({ name: 'Locked Co' }, 'test')
    const own = engine.tenants.create({ name: 'Own Key Co', keyMode: 'own' }, 'test')
    engine.vault.setTenantKey(own.id, 'sandbox0demo0key0000000000000001', 'same as demo')
    engine.settings.update({ gateway: { ...engine.settings.get().gateway, port: 0 } })
    const s = (await handlers['gateway.start']({})) as { url: string }
    return {
      engine,
      gateway,
      handlers,
      url: s.url!,
      key: engine.gatewayKeys.issue(t.id, 0).key,
      ownKey: engine.gatewayKeys.issue(own.id, 0).key,
    }
  }

  it('a client solving through the gateway sees 0 failures while the console is locked by hand and by idle', async () => {
    const clock = { now: Date.now() }
    const { engine, gateway, handlers, url, key, ownKey } = await serving(clock)
    expect(gateway.status()).toMatchObject({ running: true, serving: 'on', reason: null })
    const results: string[] = []
    let stop = false
    const client = (async () => {
      while (!stop) results.push(await solveThrough(url, results.length % 2 ? key : ownKey))
    })()
    await new Promise((r) => setTimeout(r, 300))
    await handlers['vault.lock']({})
    expect(engine.vault.isUnlocked()).toBe(false)
    await new Promise((r) => setTimeout(r, 500))
    // Unlock, then let the idle auto-lock fire (1 minute of no operator activity on the injected clock).
    await handlers['vault.unlock']({ passphrase: PASSPHRASE })
    clock.now += 2 * 60_000
    engine.vault.checkIdle()
    expect(engine.vault.isUnlocked()).toBe(false)
    await new Promise((r) => setTimeout(r, 500))
    stop = true
    await client
    expect(results.length).toBeGreaterThan(5)
    expect(results.filter((r) => !r.startsWith('OK|'))).toEqual([])
    expect(gateway.status()).toMatchObject({ running: true, serving: 'on' })
  }, 60_000)

  it('Stop seals the held keys: the console stays locked and nothing can be served until an unlock', async () => {
    const clock = { now: Date.now() }
    const { engine, gateway, handlers, url, key } = await serving(clock)
    await handlers['vault.lock']({})
    expect(await solveThrough(url, key)).toMatch(/^OK\|/)
    const stopped = await handlers['gateway.stop']({})
    expect(stopped).toMatchObject({ running: false, serving: 'off', enabled: false })
    expect(engine.servingKeys.active).toBe(false)
    await expect(handlers['gateway.start']({})).rejects.toThrow(/Unlock the vault/)
    // Serving switched back on resumes by itself at the next unlock.
    engine.settings.update({ gateway: { ...engine.settings.get().gateway, enabled: true } })
    expect(gateway.status()).toMatchObject({ serving: 'off', reason: expect.stringMatching(/unlocked/) })
    await handlers['vault.unlock']({ passphrase: PASSPHRASE })
    const s = gateway.status()
    expect(s).toMatchObject({ running: true, serving: 'on' })
    expect(await solveThrough(s.url!, key)).toMatch(/^OK\|/)
  }, 60_000)

  it('settings act at once: a new port moves the running gateway, and old task ids still answer there', async () => {
    const clock = { now: Date.now() }
    const { engine, gateway, url, key } = await serving(clock)
    const r = await call(url, '/in.php', {
      key,
      method: 'turnstile',
      sitekey: 's',
      pageurl: 'https://example.com',
    })
    expect(r).toMatch(/^OK\|/)
    engine.settings.update({ gateway: { ...engine.settings.get().gateway, port: 0, drainSeconds: 1 } }) // same
    expect(gateway.status().url).toBe(url)
    const free = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    engine.settings.update({ gateway: { ...engine.settings.get().gateway, port: free } })
    for (let i = 0; i < 100 && gateway.status().port !== free; i++)
      await new Promise((res) => setTimeout(res, 20))
    expect(gateway.status()).toMatchObject({ running: true, port: free })
    const moved = gateway.status().url!
    let answer = 'CAPCHA_NOT_READY'
    for (let i = 0; i < 200 && answer === 'CAPCHA_NOT_READY'; i++) {
      answer = await call(moved, '/res.php', { key, action: 'get', id: r.slice(3) })
      await new Promise((res) => setTimeout(res, 20))
    }
    expect(answer).toMatch(/^OK\|/)
  }, 60_000)

  it('switching serving off and on in Settings acts at once, like Stop and Start', async () => {
    const clock = { now: Date.now() }
    const { engine, gateway } = await serving(clock)
    const g = () => engine.settings.get().gateway
    engine.settings.update({ gateway: { ...g(), enabled: false, drainSeconds: 0 } })
    await expect.poll(() => gateway.status().running).toBe(false)
    expect(gateway.status()).toMatchObject({ serving: 'off', enabled: false })
    expect(engine.servingKeys.active).toBe(false)
    engine.settings.update({ gateway: { ...g(), enabled: true } })
    await expect.poll(() => gateway.status().running).toBe(true)
    expect(gateway.status()).toMatchObject({ serving: 'on', enabled: true })
  }, 60_000)

  it('the status says why serving cannot solve', async () => {
    const clock = { now: Date.now() }
    const { engine, gateway, handlers } = await serving(clock)
    await handlers['vault.removePlatformKey']({})
    expect(gateway.status()).toMatchObject({
      serving: 'cannot_solve',
      reason: expect.stringMatching(/no platform key/),
    })
    await handlers['vault.removeTenantKey']({
      tenantId: engine.tenants.list().find((t) => t.keyMode === 'own')!.id,
    })
    expect(gateway.status().reason).toMatch(/no platform key/)
    engine.vault.setPlatformKey('sandbox0demo0key0000000000000001', 'back')
    expect(gateway.status()).toMatchObject({
      serving: 'cannot_solve',
      reason: expect.stringMatching(/Own Key Co/),
    })
    expect(((await handlers['app.status']({})) as { gateway: unknown }).gateway).toMatchObject({
      serving: 'cannot_solve',
    })
  }, 60_000)
})
