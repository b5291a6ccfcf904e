import { useCallback, useEffect, useState } from 'react'
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { call, messageOf } from '../api/client'
import { ErrorNote, Meter, money, Screen } from '../components/ui'

interface DashRow {
  tenantId: string
  name: string
  status: string
  limits: { solvesPerDay?: number; monthlyBudgetMicros?: number; maxConcurrent?: number }
  today: { date: string; counted: number; solves: number; failures: number; rejections: number }
  month: { month: string; spentMicros: number; costMicros: number; solves: number }
  inFlight: number
}
interface Dash {
  tenants: DashRow[]
  sharedThreads: { capacity: number | null; inUse: number | null }
  balances: Array<{
    account: string
    label: string
    balanceMicros: number | null
    errorCode: string | null
    checkedAt: number
  }>
  alerts: Array<{ id: number; kind: string; message: string; raisedAt: number }>
}
interface DayRow {
  period: string
  solves: number
  failures: number
  priceMicros: number
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10)
}

export function Dashboard() {
  const [dash, setDash] = useState<Dash | null>(null)
  const [days, setDays] = useState<Array<{ day: string; solves: number; failures: number; revenue: number }>>(
    [],
  )
  const [error, setError] = useState<string | null>(null)
  const load = useCallback(async () => {
    try {
      setDash((await call('usage.dashboard', {})) as Dash)
      const to = new Date()
      const from = new Date(Date.now() - 13 * 86_400_000)
      const rows = (await call('usage.byDay', {
        tenantId: 'all',
        from: isoDay(from),
        to: isoDay(to),
      })) as DayRow[]
      const byDay = new Map<string, { day: string; solves: number; failures: number; revenue: number }>()
      for (const r of rows) {
        const d = byDay.get(r.period) ?? { day: r.period.slice(5), solves: 0, failures: 0, revenue: 0 }
        d.solves += r.solves
        d.failures += r.failures
        d.revenue += r.priceMicros / 1_000_000
        byDay.set(r.period, d)
      }
      setDays([...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v))
      setError(null)
    } catch (err) {
      setError(messageOf(err))
    }
  }, [])
  useEffect(() => {
    void load()
    const t = setInterval(() => void load(), 5_000)
    return () => clearInterval(t)
  }, [load])

  return (
    <Screen title="Dashboard" actions={<button onClick={() => void load()}>Refresh</button>}>
      <ErrorNote text={error} />
      {!dash ? <p aria-busy="true">Loading…</p> : null}
      {dash ? (
        <>
          <div className="cards">
            <div className="card stat">
              <h2>Shared threads</h2>
              <p className="big">
                {dash.sharedThreads.inUse ?? '—'} / {dash.sharedThreads.capacity ?? '∞'}
              </p>
              <small className="muted">in use on the platform key</small>
            </div>
            {dash.balances.map((b) => (
              <div className="card stat" key={b.account}>
                <h2>{b.label}</h2>
                <p className="big">
                  {b.errorCode ? <span className="bad-text">{b.errorCode}</span> : money(b.balanceMicros)}
                </p>
                <small className="muted">checked {new Date(b.checkedAt).toLocaleString()}</small>
              </div>
            ))}
            <div className="card stat">
              <h2>Active alerts</h2>
              <p className="big">{dash.alerts.length}</p>
            </div>
          </div>
          {dash.alerts.length > 0 ? (
            <ul className="alerts" aria-label="Active alerts">
              {dash.alerts.map((a) => (
                <li key={a.id}>
                  <strong>{a.kind.replace('_', ' ')}</strong> — {a.message}
                </li>
              ))}
            </ul>
          ) : null}
          <div className="card chart" aria-label="Solves, failures and revenue per day, last 14 days">
            <h2>Last 14 days</h2>
            {days.length === 0 ? (
              <p className="muted">No solves yet. Run a test solve to see it here.</p>
            ) : (
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={days}>
                  <CartesianGrid strokeDasharray="3 3" stroke="var(--line)" />
                  <XAxis dataKey="day" stroke="var(--muted)" />
                  <YAxis stroke="var(--muted)" allowDecimals={false} />
                  <Tooltip contentStyle={{ background: 'var(--panel)', border: '1px solid var(--line)' }} />
                  <Legend />
                  <Bar dataKey="solves" fill="#3b82f6" name="Solves" isAnimationActive={false} />
                  <Bar dataKey="failures" fill="#e25545" name="Failures" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            )}
          </div>
          <table className="grid">
            <caption>Tenants today and this month</caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Today (solved + in flight) vs daily limit</th>
                <th scope="col">Failures / refusals today</th>
                <th scope="col">This month: billed vs budget</th>
                <th scope="col">In flight</th>
              </tr>
            </thead>
            <tbody>
              {dash.tenants.length === 0 ? (
                <tr>
                  <td colSpan={5} className="muted">
                    No tenants yet — add one under Tenants.
                  </td>
                </tr>
              ) : null}
              {dash.tenants.map((t) => (
                <tr key={t.tenantId}>
                  <th scope="row">
                    {t.name} {t.status !== 'active' ? <span className="tag">{t.status}</span> : null}
                  </th>
                  <td>
                    <Meter
                      value={t.today.counted}
                      max={t.limits.solvesPerDay}
                      label={`${t.name} daily usage`}
                    />
                  </td>
                  <td>
                    {t.today.failures} / {t.today.rejections}
                  </td>
                  <td>
                    {t.limits.monthlyBudgetMicros !== undefined ? (
                      <Meter
                        value={Number(money(t.month.spentMicros))}
                        max={Number(money(t.limits.monthlyBudgetMicros))}
                        label={`${t.name} budget`}
                      />
                    ) : (
                      <span>{money(t.month.spentMicros)} (no budget)</span>
                    )}
                  </td>
                  <td>{t.inFlight}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </Screen>
  )
}
