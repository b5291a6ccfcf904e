/**
 * The first steps, on the dashboard until they are all done; each ticks itself off from what the engine reports:
 * unlock → provider key or Sandbox → first tenant → test solve → start the gateway → first invoice.
 */
import { useEffect, useState } from 'react'
import { call } from '../../api/client'
import { useDashboard } from '../../stores/dashboard'
import { useSession } from '../../stores/session'

interface Step {
  id: string
  text: string
  done: boolean
  href: string
  action: string
}

export function Onboarding() {
  const status = useSession((s) => s.status)
  const { data, days, loadedAt } = useDashboard()
  const [platformKey, setPlatformKey] = useState(false)
  const [invoiced, setInvoiced] = useState(false)
  useEffect(() => {
    let live = true
    void Promise.all([
      call('vault.describeKeys', {}).catch(() => []),
      call('audit.list', { action: 'billing.', limit: 1 }).catch(() => []),
    ]).then(([keys, exports]) => {
      if (!live) return
      setPlatformKey(keys.some((k) => k.scope === 'platform'))
      setInvoiced(exports.length > 0)
    })
    return () => {
      live = false
    }
  }, [loadedAt])
  if (!status || !data) return null
  const solved =
    days.some((d) => d.solves > 0) || data.tenants.some((t) => t.month.solves > 0 || t.today.solves > 0)
  const steps: Step[] = [
    { id: 'unlock', text: 'Unlock the vault', done: status.vault.unlocked, href: '#/dashboard', action: '' },
    {
      id: 'provider',
      text: 'Save a provider key, or keep the built-in Sandbox',
      done: status.provider.id === 'sandbox' || platformKey,
      href: '#/settings',
      action: 'Open Settings',
    },
    {
      id: 'tenant',
      text: 'Add your first tenant',
      done: data.tenants.length > 0,
      href: '#/tenants/new',
      action: 'Add a tenant',
    },
    { id: 'solve', text: 'Run a test solve', done: solved, href: '#/solve', action: 'Open Test solve' },
    {
      id: 'gateway',
      text: 'Start the gateway and hand a tenant its key',
      done: status.gateway.running,
      href: '#/settings',
      action: 'Start it in Settings',
    },
    {
      id: 'invoice',
      text: 'Export the first invoice',
      done: invoiced,
      href: '#/billing',
      action: 'Open Billing',
    },
  ]
  const left = steps.filter((s) => !s.done).length
  if (left === 0) return null
  return (
    <section className="card" aria-labelledby="onboarding-title" data-testid="onboarding">
      <h2 id="onboarding-title">Getting started</h2>
      <p className="muted small">
        {steps.length - left} of {steps.length} done. Each step ticks itself off.
      </p>
      <ol className="checklist">
        {steps.map((s) => (
          <li key={s.id} className={s.done ? 'done' : undefined} data-step={s.id}>
            <span className="tick" aria-hidden="true">
              {s.done ? '✓' : ''}
            </span>
            <span className="step">
              {s.text}
              <span className="sr-only">{s.done ? ' (done)' : ' (to do)'}</span>
            </span>
            {!s.done && s.action ? (
              <a href={s.href} className="small">
                {s.action}
              </a>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  )
}
