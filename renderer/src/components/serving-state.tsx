/**
 * Whether tenants are being served, on which URL, and if the gateway cannot solve, why — in the frame of every
 * screen. Reads gateway.status (its `serving` and `reason` when the engine reports them; otherwise derived from
 * `running`), polled quietly (a passive channel: it does not hold off auto-lock) and after every app.status refresh.
 */
import { useEffect, useState } from 'react'
import { call } from '../api/client'
import { useSession } from '../stores/session'

export interface Serving {
  serving: 'on' | 'off' | 'cannot_solve'
  reason: string | null
  url: string | null
}

interface GatewayReport {
  running: boolean
  url: string | null
  serving?: Serving['serving']
  reason?: string | null
}

function servingOf(gateway: GatewayReport): Serving {
  const serving = gateway.serving ?? (gateway.running ? 'on' : 'off')
  return { serving, reason: gateway.reason ?? null, url: gateway.url }
}

const POLL_MS = 10_000

export function ServingState() {
  const status = useSession((s) => s.status)
  const [report, setReport] = useState<GatewayReport | null>(null)
  useEffect(() => {
    let live = true
    const read = () =>
      void call('gateway.status', {})
        .then((g) => live && setReport(g as GatewayReport))
        .catch(() => undefined)
    read()
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') read()
    }, POLL_MS)
    return () => {
      live = false
      clearInterval(t)
    }
  }, [status])
  const gateway = report ?? status?.gateway
  if (!gateway) return null
  const s = servingOf(gateway)
  return (
    <div className={`serving ${s.serving}`} data-testid="serving-state" role="status">
      <strong>
        <span className="dot" aria-hidden="true" />
        {s.serving === 'on'
          ? 'Serving tenants'
          : s.serving === 'cannot_solve'
            ? 'Gateway up, cannot solve'
            : 'Gateway off'}
      </strong>
      {s.serving !== 'off' && s.url ? <span className="mono">{s.url}</span> : null}
      {s.serving === 'cannot_solve' && s.reason ? <span>{s.reason}</span> : null}
      {s.serving === 'off' ? (
        <a href="#/settings" className="small">
          Start the gateway
        </a>
      ) : null}
    </div>
  )
}
