// The Electron security checklist applied to every web contents: no navigation away from the console, no new
// windows (https links on the allowlist open in the browser), no webviews, every permission denied.
import { app, session, shell, type WebContents } from 'electron'
import { CONTENT_SECURITY_POLICY } from '../engine/host/security-headers'
import { isAppUrl, isOwnAppUrl } from './app-origin'

const EXTERNAL_ALLOWLIST = ['https://captchaai.com', 'https://docs.captchaai.com', 'https://2captcha.com']

export function isAllowedExternal(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === 'https:' && EXTERNAL_ALLOWLIST.some((a) => new URL(a).origin === u.origin)
  } catch {
    return false
  }
}

export function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
}

/**
 * The console's own responses (app://console) carry the strict CSP as a header too, whatever served them. (Not the
 * Vite dev server: its hot reload needs inline scripts and a websocket; development only.)
 */
export function withConsoleHeaders(
  url: string,
  headers: Record<string, string[]> | undefined,
): Record<string, string[]> {
  const out = { ...headers }
  if (!isOwnAppUrl(url)) return out
  for (const k of Object.keys(out))
    if (k.toLowerCase() === 'content-security-policy' || k.toLowerCase() === 'x-content-type-options')
      delete out[k]
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY]
  out['X-Content-Type-Options'] = ['nosniff']
  return out
}

export function applySecurity(): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents))
  const s = session.defaultSession
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  s.setPermissionCheckHandler(() => false)
  s.setDevicePermissionHandler?.(() => false)
  s.webRequest.onHeadersReceived((details, callback) =>
    callback({ responseHeaders: withConsoleHeaders(details.url, details.responseHeaders) }),
  )
}
