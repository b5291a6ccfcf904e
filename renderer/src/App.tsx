import { lazy, Suspense, useEffect, useState, type ComponentType } from 'react'
import { ConfirmHost } from './components/confirm'
import { ServingState } from './components/serving-state'
import { FirstRun, Unlock } from './screens/Welcome'
import { connectAlerts, useAlerts } from './stores/alerts'
import { connectBilling } from './stores/billing'
import { useCurrency } from './stores/currency'
import { connectSession, useSession } from './stores/session'
import { connectSolve } from './stores/solve'
import { useToasts } from './stores/toasts'
import { useRoute, type ScreenProps } from './router'

/**
 * The screens behind the vault load as separate chunks (the charts library alone is most of the code), so the
 * first-run and unlock screens are interactive sooner; they are fetched in the background once the vault is open.
 */
const loaders = {
  dashboard: () => import('./screens/Dashboard').then((m) => ({ default: m.Dashboard })),
  tenants: () => import('./screens/Tenants').then((m) => ({ default: m.Tenants })),
  solve: () => import('./screens/TestSolve').then((m) => ({ default: m.TestSolve })),
  balances: () => import('./screens/Balances').then((m) => ({ default: m.Balances })),
  billing: () => import('./screens/Billing').then((m) => ({ default: m.Billing })),
  settings: () => import('./screens/Settings').then((m) => ({ default: m.Settings })),
  audit: () => import('./screens/AuditLog').then((m) => ({ default: m.AuditLog })),
}
type ScreenId = keyof typeof loaders

const ROUTES: Array<{ id: ScreenId; label: string; screen: ComponentType<ScreenProps> }> = [
  { id: 'dashboard', label: 'Dashboard', screen: lazy(loaders.dashboard) },
  { id: 'tenants', label: 'Tenants', screen: lazy(loaders.tenants) },
  { id: 'solve', label: 'Test solve', screen: lazy(loaders.solve) },
  { id: 'balances', label: 'Balances', screen: lazy(loaders.balances) },
  { id: 'billing', label: 'Billing', screen: lazy(loaders.billing) },
  { id: 'settings', label: 'Settings', screen: lazy(loaders.settings) },
  { id: 'audit', label: 'Audit log', screen: lazy(loaders.audit) },
]

type ThemeChoice = 'system' | 'light' | 'dark'
const THEME_KEY = 'captchadesk.theme'

/** Light or dark: follows the system (prefers-color-scheme) unless the operator picked one. */
function useTheme(): [ThemeChoice, (t: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>(() => {
    const saved = localStorage.getItem(THEME_KEY)
    return saved === 'light' || saved === 'dark' ? saved : 'system'
  })
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)')
    const apply = () => {
      document.documentElement.dataset.theme =
        choice === 'system' ? (media.matches ? 'dark' : 'light') : choice
    }
    apply()
    if (choice === 'system') localStorage.removeItem(THEME_KEY)
    else localStorage.setItem(THEME_KEY, choice)
    media.addEventListener('change', apply)
    return () => media.removeEventListener('change', apply)
  }, [choice])
  return [choice, setChoice]
}

function Toasts() {
  const { toasts, dismiss } = useToasts()
  return (
    <div className="toasts" aria-live="polite" aria-relevant="additions">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>{t.text}</span>
          <button aria-label="Dismiss notice" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}

/** Engine events feed the stores for as long as the console is open. */
function useEngineEvents(): void {
  useEffect(() => {
    const offs = [connectSession(), connectAlerts(), connectSolve(), connectBilling()]
    return () => offs.forEach((off) => off())
  }, [])
}

export function App() {
  const { status, refresh, lock, error, loading } = useSession()
  const route = useRoute()
  const [theme, setTheme] = useTheme()
  const alertCount = useAlerts((s) => s.active.length)
  useEngineEvents()
  useEffect(() => {
    void refresh()
  }, [refresh])
  const unlocked = status?.vault.unlocked ?? false
  useEffect(() => {
    if (!unlocked) return
    void useAlerts.getState().load()
    void useCurrency.getState().load()
    // The frame follows the engine (a gateway started elsewhere, a provider change).
    const poll = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh()
    }, 10_000)
    const t = setTimeout(
      () => Object.values(loaders).forEach((load) => void load().catch(() => undefined)),
      300,
    )
    return () => {
      clearTimeout(t)
      clearInterval(poll)
    }
  }, [unlocked, refresh])

  if (!status) {
    return (
      <main className="center-card">
        <div className="card">
          {error ? (
            <>
              <h1>CaptchaDesk cannot start</h1>
              <p role="alert">{error}</p>
              <button onClick={() => void refresh()}>Try again</button>
            </>
          ) : (
            <p aria-busy="true">Starting CaptchaDesk…</p>
          )}
        </div>
        <Toasts />
      </main>
    )
  }
  if (!status.vault.exists)
    return (
      <>
        <FirstRun />
        <Toasts />
      </>
    )
  if (!status.vault.unlocked)
    return (
      <>
        <Unlock />
        <Toasts />
      </>
    )
  const current = ROUTES.find((r) => r.id === route.id) ?? ROUTES[0]!
  const Screen = current.screen
  return (
    <div className="layout">
      <a
        href="#main"
        className="skip-link"
        onClick={(e) => {
          e.preventDefault()
          document.getElementById('screen-title')?.focus()
        }}
      >
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">CaptchaDesk</div>
        <ul>
          {ROUTES.map((r) => (
            <li key={r.id}>
              <a href={`#/${r.id}`} aria-current={r.id === current.id ? 'page' : undefined}>
                {r.label}
                {r.id === 'dashboard' && alertCount > 0 ? (
                  <span className="badge" aria-label={`${alertCount} active alerts`}>
                    {alertCount}
                  </span>
                ) : null}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <ServingState />
          <div className="muted small" data-testid="provider-line">
            Provider: {status.provider.label}
          </div>
          <label className="small" htmlFor="theme">
            Theme
          </label>
          <select id="theme" value={theme} onChange={(e) => setTheme(e.target.value as ThemeChoice)}>
            <option value="system">System</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
          <button onClick={() => void lock()} disabled={loading}>
            Lock
          </button>
        </div>
      </nav>
      <main id="main" className="content">
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
          <Screen key={current.id} param={route.param} />
        </Suspense>
      </main>
      <ConfirmHost />
      <Toasts />
    </div>
  )
}
