/** The small shell modules (protocol, CSP headers, power, notifications, dialogs, origins), with an electron double. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventEmitter } from 'node:events'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { lockDataFolder } from '../../../electron/engine/app/data-folder-lock'
import { electronDouble } from './electron-double'

vi.mock('electron', () => ({ ...electronDouble.module, default: electronDouble.module }))
const savedWindow = vi.hoisted(() => ({ value: undefined as unknown, writes: [] as unknown[] }))
vi.mock('electron-store', () => ({
  default: class {
    constructor(readonly o: { defaults: Record<string, unknown> }) {}
    get(k: string) {
      return savedWindow.value ?? this.o.defaults[k]
    }
    set(_k: string, v: unknown) {
      savedWindow.writes.push(v)
    }
  },
}))

const { registerAppScheme, serveRenderer } = await import('../../../electron/main/app-protocol')
const { applySecurity, withConsoleHeaders, isAllowedExternal } =
  await import('../../../electron/main/security')
const { lockOnSuspend } = await import('../../../electron/main/power')
const { notifyAlerts } = await import('../../../electron/main/notifications')
const { chooseExportFolder, showStartupFailure } = await import('../../../electron/main/dialogs')
const { isAppUrl, devServerOrigin, rendererUrl } = await import('../../../electron/main/app-origin')
const { forwardEvents } = await import('../../../electron/main/ipc')
const { CONTENT_SECURITY_POLICY } = await import('../../../electron/engine/host/security-headers')
const { restoreWindowState, createMainWindow } = await import('../../../electron/main/window')
const { applyLoginItem, resumeServingUnattended } = await import('../../../electron/main/unattended')

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shell-mod-'))
  mkdirSync(join(dir, 'renderer', 'assets'), { recursive: true })
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>console</title>')
  writeFileSync(join(dir, 'renderer', 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'outside the console folder')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(() => {
  delete process.env.ELECTRON_RENDERER_URL
})

describe('app:// protocol', () => {
  it('registers app as a privileged standard, secure scheme', () => {
    registerAppScheme()
    expect(electronDouble.privileged).toContainEqual({
      scheme: 'app',
      privileges: expect.objectContaining({ standard: true, secure: true }),
    })
  })

  it('serves the built console with the CSP, and nothing outside its folder', async () => {
    serveRenderer(join(dir, 'renderer'))
    const handler = electronDouble.protocolHandlers.get('app')!
    const home = await handler(new Request('app://console/'))
    expect(home.status).toBe(200)
    expect(await home.text()).toContain('<title>console</title>')
    expect(home.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
    expect(home.headers.get('x-content-type-options')).toBe('nosniff')
    expect((await handler(new Request('app://console/assets/app.js'))).status).toBe(200)
    for (const url of [
      'app://console/..%2fsecret.txt',
      'app://console/%2e%2e/secret.txt',
      'app://console/assets/..%2f..%2fsecret.txt',
      'app://console/%E0%A4%A',
    ]) {
      const r = await handler(new Request(url))
      expect(r.status, url).toBeGreaterThanOrEqual(400)
      expect(await r.text()).not.toContain('outside the console folder')
    }
    expect((await handler(new Request('app://elsewhere/index.html'))).status).toBe(404)
  })
})

describe('security headers and origins', () => {
  it('adds the strict CSP to the console’s own responses only, replacing a weaker one', () => {
    applySecurity()
    const listener = electronDouble.permissionHandlers.headers!
    const seen: Array<Record<string, string[]> | undefined> = []
    listener(
      {
        url: 'app://console/index.html',
        responseHeaders: { 'content-security-policy': ["default-src *; script-src 'unsafe-inline'"] },
      },
      (r) => seen.push(r.responseHeaders),
    )
    listener({ url: 'https://captchaai.com/x', responseHeaders: { a: ['b'] } }, (r) =>
      seen.push(r.responseHeaders),
    )
    expect(seen[0]).toEqual({
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      'X-Content-Type-Options': ['nosniff'],
    })
    expect(seen[1]).toEqual({ a: ['b'] })
    expect(withConsoleHeaders('app://console.evil/x', {})).toEqual({})
    expect(electronDouble.permissionHandlers.device!()).toBe(false)
  })

  it('trusts the app origin and a loopback dev server only, never a remote page named by the environment', () => {
    expect(isAppUrl('app://console/index.html')).toBe(true)
    expect(isAppUrl('app://console:99/index.html')).toBe(false)
    expect(isAppUrl('app://user@console/index.html')).toBe(false)
    expect(isAppUrl('app://consolex/index.html')).toBe(false)
    expect(isAppUrl('file:///index.html')).toBe(false)
    expect(isAppUrl('not a url')).toBe(false)
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173/'
    expect(devServerOrigin()).toBe('http://localhost:5173')
    expect(isAppUrl('http://localhost:5173/#/tenants')).toBe(true)
    expect(isAppUrl('http://localhost:5174/')).toBe(false)
    expect(rendererUrl()).toBe('http://localhost:5173/')
    process.env.ELECTRON_RENDERER_URL = 'https://evil.example/'
    expect(devServerOrigin()).toBeNull()
    expect(isAppUrl('https://evil.example/')).toBe(false)
    expect(rendererUrl()).toBe('app://console/index.html')
  })

  it('opens only https links on the allowlist', () => {
    expect(isAllowedExternal('https://captchaai.com/pricing')).toBe(true)
    expect(isAllowedExternal('https://captchaai.com.evil.example/')).toBe(false)
    expect(isAllowedExternal('https://evil.example/?https://captchaai.com')).toBe(false)
    expect(isAllowedExternal('http://captchaai.com/')).toBe(false)
    expect(isAllowedExternal('javascript:alert(1)')).toBe(false)
    expect(isAllowedExternal('file:///etc/passwd')).toBe(false)
  })
})

describe('power, notifications, dialogs, events', () => {
  it('locks the vault when the machine sleeps or the screen locks', () => {
    const vault = { lock: vi.fn() }
    lockOnSuspend(vault)
    const pm = electronDouble.module.powerMonitor
    pm.emit('suspend')
    expect(vault.lock).toHaveBeenCalledWith('suspend')
    pm.emit('lock-screen')
    expect(vault.lock).toHaveBeenCalledTimes(2)
  })

  it('shows a desktop notification for a raised alert, with its message only', () => {
    const bus = new EventEmitter()
    const engine = {
      on: (e: string, l: (p: unknown) => void) => {
        bus.on(e, l)
        return () => bus.off(e, l)
      },
    }
    const off = notifyAlerts(engine as never)
    bus.emit('alert.raised', { message: 'Acme used 80% of its daily limit.' })
    bus.emit('alert.resolved', { message: 'resolved' })
    expect(electronDouble.notifications).toEqual([
      { title: 'CaptchaDesk alert', body: 'Acme used 80% of its daily limit.' },
    ])
    off()
    bus.emit('alert.raised', { message: 'again' })
    expect(electronDouble.notifications).toHaveLength(1)
  })

  it('asks for an export folder; cancelling exports nothing', async () => {
    expect(await chooseExportFolder(undefined, 'invoices-2026-10')).toEqual({ dir: '/chosen/folder' })
    electronDouble.dialogResult.canceled = true
    expect(await chooseExportFolder(undefined, 'invoices-2026-10')).toBeNull()
    electronDouble.dialogResult.canceled = false
  })

  it('says why the app could not start in a box (no console is read when launched from the desktop)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shell-lock-'))
    const held = lockDataFolder(dir)
    let failure: unknown
    try {
      lockDataFolder(dir)
    } catch (err) {
      failure = err
    }
    held.release()
    rmSync(dir, { recursive: true, force: true })
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    showStartupFailure(failure)
    quiet.mockRestore()
    expect(electronDouble.showErrorBox).toHaveBeenCalledWith(
      'CaptchaDesk could not start',
      expect.stringMatching(/Another CaptchaDesk engine is running on the data folder .*\(process \d+\)/),
    )
  })

  it('forwards engine events to the window as payloads only, and stops when asked', () => {
    const bus = new EventEmitter()
    const engine = {
      on: (e: string, l: (p: unknown) => void) => {
        bus.on(e, l)
        return () => bus.off(e, l)
      },
    }
    const send = vi.fn()
    const offs = forwardEvents(engine as never, () => ({ send, isDestroyed: () => false }) as never)
    bus.emit('vault.locked', { reason: 'idle' })
    expect(send).toHaveBeenCalledWith('event:vault.locked', { reason: 'idle' })
    for (const off of offs) off()
    bus.emit('vault.locked', { reason: 'again' })
    expect(send).toHaveBeenCalledTimes(1)
  })
})

describe('window state', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }]
  it('restores a sane saved state', () => {
    expect(restoreWindowState({ x: 100, y: 50, width: 1000, height: 700, maximized: true }, screen)).toEqual({
      x: 100,
      y: 50,
      width: 1000,
      height: 700,
      maximized: true,
    })
  })

  it('drops a position on a display that is gone, clamps sizes, ignores malformed values', () => {
    expect(restoreWindowState({ x: 5000, y: 50, width: 100, height: 99_999 }, screen)).toEqual({
      width: 800,
      height: 3000,
      maximized: false,
    })
    for (const junk of [null, 'x', [], { width: 'wide', height: NaN, x: '1', y: {}, maximized: 'yes' }])
      expect(restoreWindowState(junk, screen)).toEqual({ width: 1280, height: 860, maximized: false })
  })

  it('opens the window from the checked state and saves bounds when it closes', () => {
    savedWindow.value = { x: -9000, y: 0, width: 'huge', height: 700, maximized: false }
    const win = createMainWindow('/preload') as unknown as EventEmitter
    const opts = electronDouble.windows.at(-1)!.options
    expect(opts).toMatchObject({ width: 1280, height: 700, show: false })
    expect(opts.x).toBeUndefined()
    win.emit('close')
    expect(savedWindow.writes.at(-1)).toEqual({ x: 10, y: 10, width: 1280, height: 860, maximized: false })
  })
})

describe('unattended start', () => {
  it('applies "open at login" to the OS login items', () => {
    applyLoginItem(true)
    expect(electronDouble.loginItem.openAtLogin).toBe(true)
    applyLoginItem(false)
    expect(electronDouble.loginItem.openAtLogin).toBe(false)
  })

  const engineDouble = (o: { enabled: boolean; device: boolean; deviceFails?: boolean }) => {
    const calls: string[] = []
    let unlocked = false
    const engine = {
      settings: { get: () => ({ gateway: { enabled: o.enabled } }) },
      vault: {
        isUnlocked: () => unlocked,
        deviceUnlockEnabled: () => o.device,
        unlockWithDevice: async () => {
          calls.push('unlockWithDevice')
          if (o.deviceFails) throw new Error('keystore refused')
          unlocked = true
        },
      },
      audit: { record: (e: { action: string }) => calls.push(`audit:${e.action}`) },
      afterUnlock: async () => void calls.push('afterUnlock'),
    }
    const gateway = { resume: async () => void calls.push('resume') }
    return { engine, gateway, calls }
  }

  it('with serving on and device unlock: unlocks through the keystore, audits it, and resumes serving', async () => {
    const d = engineDouble({ enabled: true, device: true })
    await resumeServingUnattended(d.engine as never, d.gateway as never)
    expect(d.calls).toEqual(['unlockWithDevice', 'audit:vault.unlock', 'afterUnlock', 'resume'])
  })

  it('does nothing when serving is off, and waits for the passphrase when the keystore refuses', async () => {
    const off = engineDouble({ enabled: false, device: true })
    await resumeServingUnattended(off.engine as never, off.gateway as never)
    expect(off.calls).toEqual([])
    const refused = engineDouble({ enabled: true, device: true, deviceFails: true })
    await resumeServingUnattended(refused.engine as never, refused.gateway as never)
    expect(refused.calls).toEqual(['unlockWithDevice'])
    const noDevice = engineDouble({ enabled: true, device: false })
    await resumeServingUnattended(noDevice.engine as never, noDevice.gateway as never)
    expect(noDevice.calls).toEqual(['resume']) // resume itself declines while the keys are locked
  })
})
