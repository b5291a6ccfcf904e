// Electron shell entry. Thin: window, security, IPC registration, safeStorage, dialogs, notifications, power events.
// Everything else is the engine (electron/engine), which runs the same in the headless host and in tests.
import { app, dialog, ipcMain, Notification, powerMonitor, type BrowserWindow } from 'electron'
import { join } from 'node:path'
import { createEngine, type Engine } from '../engine/app/engine'
import { createGatewayController } from '../engine/app/gateway-controller'
import { createHandlers } from '../engine/app/handlers'
import { serveRenderer, registerAppScheme } from './app-protocol'
import { createSafeStorageProtector } from './device-unlock'
import { forwardEvents, registerIpc } from './ipc'
import { applySecurity } from './security'
import { createMainWindow } from './window'

const here = import.meta.dirname
let win: BrowserWindow | undefined
let engine: Engine | undefined

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.enableSandbox()
  registerAppScheme()
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })
  void app.whenReady().then(start)
  app.on('window-all-closed', () => app.quit())
  app.on('will-quit', () => void engine?.close())
}

async function start(): Promise<void> {
  applySecurity()
  serveRenderer(join(here, '../renderer'))
  engine = await createEngine({ dataDir: app.getPath('userData'), device: createSafeStorageProtector() })
  const e = engine
  const gateway = createGatewayController(e)
  const handlers = createHandlers({
    engine: e,
    gateway,
    version: app.getVersion(),
    async exportTarget(suggested) {
      const r = await dialog.showOpenDialog(win!, {
        title: `Export ${suggested}: choose a folder`,
        properties: ['openDirectory', 'createDirectory'],
      })
      return r.canceled || !r.filePaths[0] ? null : { dir: r.filePaths[0] }
    },
  })
  registerIpc(ipcMain, handlers, () => e.vault.touch())
  forwardEvents(e, () => win?.webContents)
  e.on('alert.raised', (a) => {
    if (Notification.isSupported()) new Notification({ title: 'CaptchaDesk alert', body: a.message }).show()
  })
  // Lock the vault when the machine sleeps or the screen locks.
  powerMonitor.on('suspend', () => e.vault.lock('suspend'))
  powerMonitor.on('lock-screen', () => e.vault.lock('screen locked'))
  win = createMainWindow(join(here, '../preload'))
}
