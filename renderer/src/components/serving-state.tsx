/**
 * Whether tenants are being served, on which URL, and if the gateway cannot solve, why — in the frame of every
 * screen, from app.status's gateway (`serving`, `reason`, `url`), which the frame refreshes every 10 s.
 */
import { useSession } from '../stores/session'

export function ServingState() {
  const gateway = useSession((s) => s.status?.gateway)
  if (!gateway) return null
  const { serving, reason, url } = gateway
  return (
    <div className={`serving ${serving}`} data-testid="serving-state" role="status">
      <strong>
        <span className="dot" aria-hidden="true" />
        {serving === 'on'
          ? 'Serving tenants'
          : serving === 'cannot_solve'
            ? 'Gateway up, cannot solve'
            : 'Gateway off'}
      </strong>
      {serving !== 'off' && url ? <span className="mono">{url}</span> : null}
      {serving !== 'on' && reason ? (
        <span className="small">{reason.charAt(0).toUpperCase() + reason.slice(1)}</span>
      ) : null}
      {serving === 'off' ? (
        <a href="#/settings" className="small">
          Turn the gateway on
        </a>
      ) : null}
    </div>
  )
}
