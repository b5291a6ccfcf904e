/** A test double for the `electron` module: records what the shell asks of it. */
import { EventEmitter } from 'node:events'
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

export const electronDouble = (() => {
  const handlers = new Map<string, (event: unknown, input: unknown) => Promise<unknown>>()
  const windows: Array<{ options: Record<string, unknown> }> = []
  const app = new EventEmitter() as EventEmitter & Record<string, unknown>
  const permissionHandlers: {
    request?: (wc: unknown, p: string, cb: (ok: boolean) => void) => void
    check?: () => boolean
  } = {}
  const openExternal = vi.fn()
  class BrowserWindow extends EventEmitter {
    webContents = fakeWebContents()
    constructor(readonly options: Record<string, unknown>) {
      super()
      windows.push({ options })
    }
    loadURL = vi.fn(async () => undefined)
    maximize = vi.fn()
    isDestroyed = () => false
    isMaximized = () => false
    getNormalBounds = () => ({ x: 10, y: 10, width: 1280, height: 860 })
  }
  return {
    handlers,
    windows,
    permissionHandlers,
    openExternal,
    module: {
      app,
      BrowserWindow,
      ipcMain: {
        handle: (channel: string, fn: (event: unknown, input: unknown) => Promise<unknown>) =>
          handlers.set(channel, fn),
      },
      session: {
        defaultSession: {
          setPermissionRequestHandler: (h: typeof permissionHandlers.request) =>
            (permissionHandlers.request = h),
          setPermissionCheckHandler: (h: typeof permissionHandlers.check) => (permissionHandlers.check = h),
        },
      },
      shell: { openExternal },
      screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    },
  }
})()
