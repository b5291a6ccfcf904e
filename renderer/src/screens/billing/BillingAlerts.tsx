/** Active alerts with a link to their tenant and an acknowledge button (one alert per event). */
import { call, messageOf } from '../../api/client'
import { formatTime } from '../../components/ui'
import { useAlerts } from '../../stores/alerts'
import { toast } from '../../stores/toasts'

export function BillingAlerts() {
  const { active, load } = useAlerts()
  if (active.length === 0) return null
  const ack = async (id: number) => {
    try {
      await call('alerts.ack', { id })
      await load()
    } catch (err) {
      toast('error', messageOf(err))
    }
  }
  return (
    <section className="card" aria-labelledby="billing-alerts-title">
      <h2 id="billing-alerts-title">Alerts</h2>
      <ul className="alerts" data-testid="billing-alerts">
        {active.map((a) => {
          const tenantId = a.subject.startsWith('tenant:') ? a.subject.slice(7) : null
          const acked = (a as { acknowledgedAt?: number | null }).acknowledgedAt
          return (
            <li key={a.id}>
              {tenantId ? <a href={`#/tenants/${tenantId}`}>{a.message}</a> : a.message}{' '}
              <span className="muted small">{formatTime(a.raisedAt)}</span>{' '}
              {acked ? (
                <span className="tag">seen</span>
              ) : (
                <button onClick={() => void ack(a.id)}>Acknowledge</button>
              )}
            </li>
          )
        })}
      </ul>
    </section>
  )
}
