// The console's own origin inside Electron: a privileged custom protocol, so the renderer is never a file:// page.
export const APP_SCHEME = 'app'
export const APP_HOST = 'console'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

/** Dev server (electron-vite dev) or the packaged console. */
export function rendererUrl(): string {
  return process.env.ELECTRON_RENDERER_URL ?? `${APP_ORIGIN}/index.html`
}

export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url)
    const dev = process.env.ELECTRON_RENDERER_URL ? new URL(process.env.ELECTRON_RENDERER_URL).origin : null
    return (
      u.origin === APP_ORIGIN ||
      (u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST) ||
      (dev !== null && u.origin === dev)
    )
  } catch {
    return false
  }
}
