// The Electron security checklist applied to every web contents: no navigation away from the console, no new
// windows (https links on the allowlist open in the browser), no webviews, every permission denied.
import { app, session, shell, type WebContents } from 'electron'
import { isAppUrl } from './app-origin'

export const EXTERNAL_ALLOWLIST = [
  'https://captchaai.com',
  'https://docs.captchaai.com',
  'https://2captcha.com',
]

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

export function applySecurity(): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents))
  const s = session.defaultSession
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  s.setPermissionCheckHandler(() => false)
}
