// The console window: sandboxed, isolated, no Node; its size and position are remembered (electron-store).
import { BrowserWindow, screen } from 'electron'
import Store from 'electron-store'
import { join } from 'node:path'
import { rendererUrl } from './app-origin'

interface WindowState {
  x?: number
  y?: number
  width: number
  height: number
  maximized: boolean
}

export const SECURE_WEB_PREFERENCES = {
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const

function visible(state: WindowState): boolean {
  if (state.x === undefined || state.y === undefined) return false
  return screen.getAllDisplays().some((d) => {
    const b = d.workArea
    return (
      state.x! >= b.x - 50 &&
      state.y! >= b.y - 50 &&
      state.x! < b.x + b.width - 100 &&
      state.y! < b.y + b.height - 100
    )
  })
}

export function createMainWindow(preloadDir: string): BrowserWindow {
  const store = new Store<{ window: WindowState }>({
    name: 'window-state',
    defaults: { window: { width: 1280, height: 860, maximized: false } },
  })
  const saved = store.get('window')
  const state: WindowState = {
    width: Math.min(Math.max(saved.width || 1280, 800), 4000),
    height: Math.min(Math.max(saved.height || 860, 560), 3000),
    maximized: saved.maximized === true,
    ...(visible(saved) ? { x: saved.x, y: saved.y } : {}),
  }
  const win = new BrowserWindow({
    ...state,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'CaptchaDesk',
    backgroundColor: '#14171c',
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: join(preloadDir, 'index.cjs') },
  })
  if (state.maximized) win.maximize()
  win.once('ready-to-show', () => win.show())
  const remember = (): void => {
    if (win.isDestroyed()) return
    const b = win.getNormalBounds()
    store.set('window', { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() })
  }
  win.on('close', remember)
  void win.loadURL(rendererUrl())
  return win
}
