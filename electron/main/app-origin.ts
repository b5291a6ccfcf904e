// The console's own origin inside Electron: a privileged custom protocol, so the renderer is never a file:// page.
export const APP_SCHEME = 'app'
export const APP_HOST = 'console'
const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

/**
 * The electron-vite dev server's origin, only when it is a loopback http URL (the shell ignores the variable in a
 * packaged app altogether, see index.ts): an environment variable must never make a remote page trusted.
 */
export function devServerOrigin(): string | null {
  const raw = process.env.ELECTRON_RENDERER_URL
  if (!raw) return null
  try {
    const u = new URL(raw)
    const loopback = u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]'
    return u.protocol === 'http:' && loopback ? u.origin : null
  } catch {
    return null
  }
}

/** Dev server (electron-vite dev) or the packaged console. */
export function rendererUrl(): string {
  const dev = devServerOrigin()
  return dev ? process.env.ELECTRON_RENDERER_URL! : `${APP_ORIGIN}/index.html`
}

export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url)
    const dev = devServerOrigin()
    return isOwnAppUrl(url) || (dev !== null && u.origin === dev)
  } catch {
    return false
  }
}

/** The packaged console only (app://console/…), not the development server. */
export function isOwnAppUrl(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === ''
  } catch {
    return false
  }
}
