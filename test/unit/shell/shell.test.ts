/** The Electron wiring, with the `electron` module replaced by a test double. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CHANNELS } from '@shared/ipc-channels'
import { contract } from '@shared/ipc-contract'
import { electronDouble, fakeWebContents } from './electron-double'

vi.mock('electron', () => ({ ...electronDouble.module, default: electronDouble.module }))
vi.mock('electron-store', () => ({
  default: class {
    private data: Record<string, unknown>
    constructor(o: { defaults: Record<string, unknown> }) {
      this.data = { ...o.defaults }
    }
    get(k: string) {
      return this.data[k]
    }
    set(k: string, v: unknown) {
      this.data[k] = v
    }
  },
}))

const { registerIpc, isTrustedSender } = await import('../../../electron/main/ipc')
const { applySecurity, hardenWebContents } = await import('../../../electron/main/security')
const { createMainWindow, SECURE_WEB_PREFERENCES } = await import('../../../electron/main/window')
const { openApplication } = await import('../../../electron/engine/app/application')

const APP_FRAME = { url: 'app://console/index.html', parent: null }
let dir: string
let application: Awaited<ReturnType<typeof openApplication>>
let engine: typeof application.engine

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shell-'))
  // Composed as electron/main/index.ts does it.
  application = await openApplication({
    dataDir: dir,
    sandboxSpeed: 1000,
    weakKdfForTests: true,
    version: 'test',
    exportTarget: async () => ({ dir: join(dir, 'exports') }),
  })
  engine = application.engine
  registerIpc(electronDouble.module.ipcMain as never, application.handlers, engine.log)
})
afterAll(async () => {
  await application.close()
  rmSync(dir, { recursive: true, force: true })
})

const invoke = (channel: string, input: unknown, frame: unknown = APP_FRAME) =>
  electronDouble.handlers.get(channel)!({ senderFrame: frame, sender: {} }, input) as Promise<{
    ok: boolean
    value?: unknown
    error?: { code: string; message: string }
  }>

describe('Electron shell wiring', () => {
  it('creates the window sandboxed, isolated and without Node', () => {
    createMainWindow('/preload')
    const opts = electronDouble.windows.at(-1)!.options as { webPreferences: Record<string, unknown> }
    expect(opts.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webviewTag: false,
      webSecurity: true,
      preload: '/preload/index.cjs',
    })
    expect(SECURE_WEB_PREFERENCES.nodeIntegration).toBe(false)
  })

  it('registers every contract channel exactly once', () => {
    expect([...electronDouble.handlers.keys()].sort()).toEqual([...CHANNELS].sort())
  })

  it('refuses foreign senders: no frame, a subframe, another origin', async () => {
    for (const frame of [
      null,
      { url: 'app://console/index.html', parent: {} },
      { url: 'https://evil.example/', parent: null },
      { url: 'file:///etc/passwd', parent: null },
    ]) {
      const r = await invoke('app.status', {}, frame)
      expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    }
    expect(isTrustedSender({ senderFrame: APP_FRAME as never, sender: {} as never })).toBe(true)
    expect((await invoke('app.status', {})).ok).toBe(true)
  })

  it('blocks navigation, new windows and webviews; opens only allowlisted https links outside', () => {
    const wc = fakeWebContents()
    hardenWebContents(wc as never)
    const nav = { preventDefault: vi.fn() }
    wc.emit('will-navigate', nav, 'https://evil.example/')
    expect(nav.preventDefault).toHaveBeenCalled()
    const own = { preventDefault: vi.fn() }
    wc.emit('will-navigate', own, 'app://console/#/tenants')
    expect(own.preventDefault).not.toHaveBeenCalled()
    const webview = { preventDefault: vi.fn() }
    wc.emit('will-attach-webview', webview)
    expect(webview.preventDefault).toHaveBeenCalled()
    expect(wc.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(wc.openHandler!({ url: 'https://docs.captchaai.com/api' })).toEqual({ action: 'deny' })
    expect(electronDouble.openExternal).toHaveBeenCalledTimes(1)
    expect(electronDouble.openExternal).toHaveBeenCalledWith('https://docs.captchaai.com/api')
    wc.openHandler!({ url: 'http://captchaai.com' })
    expect(electronDouble.openExternal).toHaveBeenCalledTimes(1)
  })

  it('console polling (dashboard refresh) does not count as activity for auto-lock; operator actions do', async () => {
    const calls = new Map<string, (e: unknown, i: unknown) => Promise<unknown>>()
    const activity = vi.fn()
    registerIpc(
      { handle: (c: string, fn: (e: unknown, i: unknown) => Promise<unknown>) => calls.set(c, fn) } as never,
      application.handlers,
      engine.log,
      activity,
    )
    await calls.get('usage.dashboard')!({ senderFrame: APP_FRAME, sender: {} }, {})
    await calls.get('app.status')!({ senderFrame: APP_FRAME, sender: {} }, {})
    expect(activity).not.toHaveBeenCalled()
    await calls.get('tenants.list')!({ senderFrame: APP_FRAME, sender: {} }, {})
    expect(activity).toHaveBeenCalledTimes(1)
  })

  it('denies every permission request and check', () => {
    applySecurity()
    const cb = vi.fn()
    electronDouble.permissionHandlers.request!({}, 'media', cb)
    expect(cb).toHaveBeenCalledWith(false)
    expect(electronDouble.permissionHandlers.check!()).toBe(false)
  })
})

describe('IPC fuzzing: malformed payloads on every channel', () => {
  const payloads: unknown[] = [
    null,
    42,
    -1,
    Number.NaN,
    true,
    'x'.repeat(100_000),
    [],
    [1, 2],
    [{}],
    { __proto__: { polluted: true }, id: 'acme' },
    JSON.parse('{"__proto__":{"polluted":true}}'),
    { constructor: { prototype: { polluted: true } } },
    { id: 123 },
    { id: '../../etc/passwd' },
    { id: 'x'.repeat(1_000_000) },
    { passphrase: 7 },
    { passphrase: 'p'.repeat(2_000) },
    { name: '' },
    { name: 'n'.repeat(10_000) },
    { month: '2026-13', tenantId: 't' },
    { tenantId: 'x'.repeat(500) },
    { tenantId: 'acme', graceHours: 1e9 },
    { tenantId: 'acme', graceHours: -1 },
    { limit: -1 },
    { limit: Number.POSITIVE_INFINITY },
    { id: Number.MAX_VALUE },
    { attemptId: 'not-a-uuid' },
    { key: 'short' },
    { key: 'k'.repeat(32) + '\u0000' },
    { enabled: 'yes' },
    { activeOnly: 1 },
    { from: '2026-01-01', to: 42, tenantId: 'all' },
    { tenantId: 'acme', request: { type: 'image', body: 'not base64!' } },
    { tenantId: 'acme', request: { type: 'recaptcha_v2', siteKey: 1 } },
    { tenantId: 'acme', request: [] },
    { patch: { limits: { solvesPerDay: -5 } }, id: 'acme' },
    { extra: true, unexpected: 'field' },
  ]

  it('answers every malformed payload with VALIDATION, never crashes, never changes state', async () => {
    await invoke('vault.create', { passphrase: 'fuzzing passphrase' })
    const snapshot = () => ({
      tenants: JSON.stringify(engine.tenants.list({ includeDeleted: true })),
      vault: readFileSync(engine.paths.vault, 'utf8'),
      unlocked: engine.vault.isUnlocked(),
      settings: JSON.stringify(engine.settings.get()),
      attempts: JSON.stringify(engine.db.prepare('SELECT COUNT(*) AS n FROM attempts').get()),
      audit: JSON.stringify(engine.db.prepare('SELECT COUNT(*) AS n FROM audit_log').get()),
    })
    const before = snapshot()
    let refused = 0
    for (const channel of CHANNELS) {
      for (const p of payloads) {
        // A payload the contract accepts is not malformed for this channel (e.g. {} for vault.lock): skip it.
        if (contract[channel].input.safeParse(p ?? {}).success) continue
        const r = await invoke(channel, p)
        const what = `${channel} ${String(JSON.stringify(p)).slice(0, 60)}`
        expect(r, what).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
        expect(r.error!.message.length, what).toBeGreaterThan(15)
        expect(r.error!.message.length, what).toBeLessThan(2_000) // a huge input is not echoed back
        refused++
      }
    }
    expect(refused).toBeGreaterThan(CHANNELS.length * 25)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(snapshot()).toEqual(before)
  }, 60_000)

  it('never returns a key in any reply', async () => {
    const key = 'Zq7'.padEnd(32, 'x9')
    // ({ __proto__: … } is a plain {} to the contract, so the fuzzing above may have locked the vault legitimately.)
    if (!engine.vault.isUnlocked())
      expect((await invoke('vault.unlock', { passphrase: 'fuzzing passphrase' })).ok).toBe(true)
    const t = await invoke('tenants.create', { name: 'Key Holder', keyMode: 'own' })
    const id = (t.value as { id: string }).id
    const set = await invoke('vault.setTenantKey', { tenantId: id, key })
    expect(set.ok).toBe(true)
    for (const channel of [
      'vault.describeKeys',
      'app.status',
      'usage.dashboard',
      'tenants.list',
      'audit.list',
      'settings.get',
      'balances.history',
    ]) {
      expect(JSON.stringify(await invoke(channel, {})), channel).not.toContain(key)
    }
  })
})
