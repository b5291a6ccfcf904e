/** A test double for the `electron` module: records what the shell asks of it. */
import { readFile } from 'node:fs/promises'
import { EventEmitter } from 'node:events'
import { fileURLToPath } from 'node:url'
import { vi } from 'vitest'

export interface FakeWebContents extends EventEmitter {
  openHandler?: (d: { url: string }) => { action: string }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void
  send: ReturnType<typeof vi.fn>
  isDestroyed(): boolean
}

export function fakeWebContents(): FakeWebContents {
  const wc = new EventEmitter() as FakeWebContents
  wc.setWindowOpenHandler = (h) => {
    wc.openHandler = h
  }
  wc.send = vi.fn()
  wc.isDestroyed = () => false
  return wc
}

type HeadersListener = (
  details: { url: string; responseHeaders?: Record<string, string[]> },
  callback: (r: { responseHeaders?: Record<string, string[]> }) => void,
) => void

export const electronDouble = (() => {
  const handlers = new Map<string, (event: unknown, input: unknown) => Promise<unknown>>()
  const windows: Array<{ options: Record<string, unknown> }> = []
  const app = new EventEmitter() as EventEmitter & Record<string, unknown>
  const loginItem = { openAtLogin: false }
  app.getLoginItemSettings = () => ({ ...loginItem })
  app.setLoginItemSettings = (s: { openAtLogin: boolean }) => void (loginItem.openAtLogin = s.openAtLogin)
  const permissionHandlers: {
    request?: (wc: unknown, p: string, cb: (ok: boolean) => void) => void
    check?: () => boolean
    device?: () => boolean
    headers?: HeadersListener
  } = {}
  const openExternal = vi.fn()
  const notifications: Array<{ title: string; body: string }> = []
  const exposed = new Map<string, unknown>()
  const rendererBus = new EventEmitter()
  const invoke = vi.fn(async (channel: string, input: unknown) => ({ channel, input }))
  const protocolHandlers = new Map<string, (request: Request) => Promise<Response>>()
  const privileged: unknown[] = []
  const dialogResult = { canceled: false, filePaths: ['/chosen/folder'] as string[] }
  const showOpenDialog = vi.fn(async () => dialogResult)
  const showErrorBox = vi.fn()

  class BrowserWindow extends EventEmitter {
    webContents = fakeWebContents()
    constructor(readonly options: Record<string, unknown>) {
      super()
      windows.push({ options })
    }
    loadURL = vi.fn(async () => undefined)
    maximize = vi.fn()
    show = vi.fn()
    isDestroyed = () => false
    isMaximized = () => false
    getNormalBounds = () => ({ x: 10, y: 10, width: 1280, height: 860 })
  }
  class Notification extends EventEmitter {
    static isSupported = () => true
    constructor(readonly options: { title: string; body: string }) {
      super()
    }
    show(): void {
      notifications.push({ title: this.options.title, body: this.options.body })
    }
  }
  return {
    loginItem,
    handlers,
    windows,
    permissionHandlers,
    openExternal,
    notifications,
    exposed,
    rendererBus,
    invoke,
    protocolHandlers,
    privileged,
    dialogResult,
    showOpenDialog,
    showErrorBox,
    module: {
      app,
      BrowserWindow,
      Notification,
      powerMonitor: new EventEmitter(),
      dialog: { showOpenDialog, showErrorBox },
      ipcMain: {
        handle: (channel: string, fn: (event: unknown, input: unknown) => Promise<unknown>) =>
          handlers.set(channel, fn),
      },
      ipcRenderer: {
        invoke,
        on: (channel: string, l: (...a: unknown[]) => void) => rendererBus.on(channel, l),
        removeListener: (channel: string, l: (...a: unknown[]) => void) => rendererBus.off(channel, l),
      },
      contextBridge: {
        exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value),
      },
      protocol: {
        registerSchemesAsPrivileged: (schemes: unknown[]) => privileged.push(...schemes),
        handle: (scheme: string, h: (request: Request) => Promise<Response>) =>
          protocolHandlers.set(scheme, h),
      },
      net: {
        // Enough of net.fetch for file:// URLs.
        fetch: async (url: string) => {
          try {
            return new Response(await readFile(fileURLToPath(url)), { status: 200 })
          } catch {
            return new Response('not found', { status: 404 })
          }
        },
      },
      session: {
        defaultSession: {
          setPermissionRequestHandler: (h: typeof permissionHandlers.request) =>
            (permissionHandlers.request = h),
          setPermissionCheckHandler: (h: typeof permissionHandlers.check) => (permissionHandlers.check = h),
          setDevicePermissionHandler: (h: typeof permissionHandlers.device) =>
            (permissionHandlers.device = h),
          webRequest: {
            onHeadersReceived: (h: HeadersListener) => (permissionHandlers.headers = h),
          },
        },
      },
      shell: { openExternal },
      screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    },
  }
})()
