/**
 * Whether tenants are being served, on which URL, and if the gateway cannot solve, why — in the frame of every
 * screen. Reads app.status's gateway (serving/reason when the engine reports them; otherwise derived from running).
 */
import { useSession } from '../stores/session'

export interface Serving {
  serving: 'on' | 'off' | 'cannot_solve'
  reason: string | null
  url: string | null
}

function servingOf(gateway: {
  running: boolean
  url: string | null
  serving?: Serving['serving']
  reason?: string | null
}): Serving {
  const serving = gateway.serving ?? (gateway.running ? 'on' : 'off')
  return { serving, reason: gateway.reason ?? null, url: gateway.url }
}

export function ServingState() {
  const gateway = useSession((s) => s.status?.gateway)
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
