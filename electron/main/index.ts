// Electron shell entry. Thin: window, security, IPC registration, safeStorage, dialogs, notifications, power events.
// Everything else is the engine (electron/engine), which runs the same in the headless host and in tests.
import { app, ipcMain, type BrowserWindow } from 'electron'
import { join } from 'node:path'
import { openApplication, type Application } from '../engine/app/application'
import { registerAppScheme, serveRenderer } from './app-protocol'
import { createSafeStorageProtector } from './device-unlock'
import { chooseExportFolder, showStartupFailure } from './dialogs'
import { forwardEvents, registerIpc } from './ipc'
import { notifyAlerts } from './notifications'
import { lockOnSuspend } from './power'
import { applyLoginItem, resumeServingUnattended } from './unattended'
import { applySecurity } from './security'
import { createMainWindow } from './window'

const here = import.meta.dirname
let win: BrowserWindow | undefined
let application: Application | undefined

// A packaged app never loads a page named by the environment.
if (app.isPackaged) delete process.env.ELECTRON_RENDERER_URL

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.enableSandbox()
  registerAppScheme() // before 'ready'
  app.on('second-instance', () => {
    if (!win) return
    if (win.isMinimized()) win.restore()
    win.focus()
  })
  app.whenReady().then(start, (err: unknown) => fatal(err))
  app.on('window-all-closed', () => app.quit())
  let closing = false
  app.on('will-quit', (event) => {
    if (closing || !application) return
    // Let the engine settle in-flight solves and close the ledger before the process goes.
    event.preventDefault()
    closing = true
    // Quitting is not "stop serving": the gateway drains (bounded) and resumes at the next launch.
    void application
      .close()
      .catch(() => undefined)
      .then(() => app.quit())
  })
}

function fatal(err: unknown): void {
  showStartupFailure(err)
  app.exit(1)
}

async function start(): Promise<void> {
  try {
    applySecurity()
    serveRenderer(join(here, '../renderer'))
    application = await openApplication({
      dataDir: app.getPath('userData'),
      device: createSafeStorageProtector(),
      version: app.getVersion(),
      exportTarget: (suggested) => chooseExportFolder(win, suggested),
    })
  } catch (err) {
    fatal(err)
    return
  }
  const { engine: e, gateway, handlers } = application
  registerIpc(ipcMain, handlers, e.log, () => e.vault.touch())
  forwardEvents(e, () => win?.webContents)
  notifyAlerts(e, () => win?.show())
  lockOnSuspend(e.vault)
  applyLoginItem(e.settings.get().launchAtLogin)
  e.settings.onChange((s) => applyLoginItem(s.launchAtLogin))
  win = createMainWindow(join(here, '../preload'))
  win.on('closed', () => (win = undefined))
  await resumeServingUnattended(e, gateway)
}
