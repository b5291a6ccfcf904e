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

interface Area {
  x: number
  y: number
  width: number
  height: number
}

const DEFAULT_STATE: WindowState = { width: 1280, height: 860, maximized: false }
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/**
 * The saved window state, checked before use: sizes clamped to something usable, and a position kept only when the
 * window's top-left part lands on a display that exists now (monitors get unplugged); anything malformed → defaults.
 */
export function restoreWindowState(saved: unknown, workAreas: Area[]): WindowState {
  const s = (saved && typeof saved === 'object' ? saved : {}) as Record<string, unknown>
  const clamp = (v: unknown, min: number, max: number, fallback: number): number =>
    finite(v) ? Math.round(Math.min(Math.max(v, min), max)) : fallback
  const state: WindowState = {
    width: clamp(s.width, 800, 4000, DEFAULT_STATE.width),
    height: clamp(s.height, 560, 3000, DEFAULT_STATE.height),
    maximized: s.maximized === true,
  }
  if (finite(s.x) && finite(s.y)) {
    const x = s.x
    const y = s.y
    const onScreen = workAreas.some(
      (b) => x >= b.x - 50 && y >= b.y - 50 && x < b.x + b.width - 100 && y < b.y + b.height - 100,
    )
    if (onScreen) Object.assign(state, { x: Math.round(x), y: Math.round(y) })
  }
  return state
}

export function createMainWindow(preloadDir: string): BrowserWindow {
  const store = new Store<{ window: WindowState }>({
    name: 'window-state',
    defaults: { window: DEFAULT_STATE },
  })
  const state = restoreWindowState(
    store.get('window'),
    screen.getAllDisplays().map((d) => d.workArea),
  )
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
