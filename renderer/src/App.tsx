import { useEffect, useState, type ComponentType } from 'react'
import { api, messageOf } from './api/client'
import { Dashboard } from './screens/Dashboard'
import { AuditLog, Balances, Billing } from './screens/Operations'
import { Settings } from './screens/Settings'
import { Tenants } from './screens/Tenants'
import { TestSolve } from './screens/TestSolve'
import { FirstRun, Unlock } from './screens/Welcome'
import { useSession } from './stores/session'
import { useToasts } from './stores/toasts'

const ROUTES: Array<{ id: string; label: string; screen: ComponentType }> = [
  { id: 'dashboard', label: 'Dashboard', screen: Dashboard },
  { id: 'tenants', label: 'Tenants', screen: Tenants },
  { id: 'solve', label: 'Test solve', screen: TestSolve },
  { id: 'balances', label: 'Balances', screen: Balances },
  { id: 'billing', label: 'Billing', screen: Billing },
  { id: 'settings', label: 'Settings', screen: Settings },
  { id: 'audit', label: 'Audit log', screen: AuditLog },
]

function useRoute(): string {
  const [route, setRoute] = useState(() => window.location.hash.slice(2) || 'dashboard')
  useEffect(() => {
    const on = () => setRoute(window.location.hash.slice(2) || 'dashboard')
    window.addEventListener('hashchange', on)
    return () => window.removeEventListener('hashchange', on)
  }, [])
  return route
}

function useTheme(): [string, () => void] {
  const [theme, setTheme] = useState(
    () =>
      localStorage.getItem('captchadesk.theme') ??
      (window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'),
  )
  useEffect(() => {
    document.documentElement.dataset.theme = theme
    localStorage.setItem('captchadesk.theme', theme)
  }, [theme])
  return [theme, () => setTheme(theme === 'dark' ? 'light' : 'dark')]
}

function Toasts() {
  const { toasts, dismiss } = useToasts()
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          {t.text}
          <button aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}

export function App() {
  const { status, refresh, lock, error } = useSession()
  const route = useRoute()
  const [theme, toggleTheme] = useTheme()
  useEffect(() => {
    void refresh()
  }, [refresh])
  useEffect(
    () =>
      api.on('alert.raised', (a) => {
        const alert = a as { message: string }
        useToasts.getState().push('info', `Alert: ${alert.message}`)
      }),
    [],
  )
  if (!status) {
    return (
      <main className="center-card">
        {error ? <p role="alert">{messageOf(error)}</p> : <p aria-busy="true">Starting CaptchaDesk…</p>}
      </main>
    )
  }
  if (!status.vault.exists) return <FirstRun />
  if (!status.vault.unlocked) return <Unlock />
  const current = ROUTES.find((r) => r.id === route) ?? ROUTES[0]!
  const Screen = current.screen
  return (
    <div className="layout">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">CaptchaDesk</div>
        <ul>
          {ROUTES.map((r) => (
            <li key={r.id}>
              <a href={`#/${r.id}`} aria-current={r.id === current.id ? 'page' : undefined}>
                {r.label}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <div className="muted small">
            Provider: {status.provider.label}
            {status.gateway.running ? ' · gateway on' : ''}
          </div>
          <button onClick={toggleTheme}>{theme === 'dark' ? 'Light theme' : 'Dark theme'}</button>
          <button onClick={() => void lock()}>Lock</button>
        </div>
      </nav>
      <main id="main" className="content">
        <Screen />
      </main>
      <Toasts />
    </div>
  )
}
