/** Per-tenant today and this month against limits, threads, balances, alerts, and 14 days of solves and money. */
import { memo, useEffect, useMemo, useState } from 'react'
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts'
import { formatMoneyDisplay } from '@shared/money-display'
import {
  ErrorNote,
  Meter,
  money,
  moneyAuto,
  Screen,
  Section,
  formatTime,
  plural,
  useCurrencyCode,
} from '../components/ui'
import { useAlerts } from '../stores/alerts'
import { useDashboard, type DashboardRow } from '../stores/dashboard'
import { CHART_DAYS, type DayPoint } from '../stores/day-series'
import { Onboarding } from './dashboard/Onboarding'
import { EmptyRow, Pager, TableHead, TableScroll } from '../components/table'
import { BalanceCard } from '../components/balance-card'

const POLL_MS = 5_000
const PAGE = 25
/** Axis ticks in the operator's currency: totals above one unit, unit-price precision below. */
const moneyTicker = (max: number, currency: string) => (v: number) =>
  formatMoneyDisplay(Math.round(v), currency, { style: max >= 1_000_000 ? 'total' : 'unit' })

/** How close a tenant is to its nearest limit, in percent (for sorting the busiest first). */
function pressure(r: DashboardRow): number {
  const day = r.limits.solvesPerDay ? (r.today.counted * 100) / r.limits.solvesPerDay : 0
  const month = r.limits.monthlyBudgetMicros ? (r.month.spentMicros * 100) / r.limits.monthlyBudgetMicros : 0
  return Math.max(day, month)
}

const TenantRow = memo(function TenantRow({ t }: { t: DashboardRow }) {
  return (
    <tr>
      <th scope="row">
        {t.name} {t.status !== 'active' ? <span className={`tag ${t.status}`}>{t.status}</span> : null}
        <div className="muted small">{t.keyMode === 'own' ? 'own key' : 'shared key'}</div>
      </th>
      <td>
        <Meter value={t.today.counted} max={t.limits.solvesPerDay} label={`${t.name}: solves today`} />
      </td>
      <td>
        {t.today.solves} / {t.today.failures} / {t.today.rejections}
      </td>
      <td>
        <Meter
          value={t.month.spentMicros}
          max={t.limits.monthlyBudgetMicros}
          label={`${t.name}: billed this month`}
          format={moneyAuto}
        />
      </td>
      <td>{moneyAuto(t.month.costMicros)}</td>
      <td>{t.inFlight}</td>
    </tr>
  )
})

export function Charts({ days }: { days: DayPoint[] }) {
  const empty = days.every((d) => d.solves + d.failures + d.rejections === 0)
  const currency = useCurrencyCode()
  const moneyTick = useMemo(
    () => moneyTicker(Math.max(0, ...days.map((d) => Math.max(d.priceMicros, d.costMicros))), currency),
    [days, currency],
  )
  const summary = useMemo(() => {
    const s = days.reduce(
      (a, d) => ({
        solves: a.solves + d.solves,
        failures: a.failures + d.failures,
        cost: a.cost + d.costMicros,
        price: a.price + d.priceMicros,
      }),
      { solves: 0, failures: 0, cost: 0, price: 0 },
    )
    return `Last ${CHART_DAYS} days: ${plural(s.solves, 'solve')}, ${plural(s.failures, 'failure')}, billed ${money(s.price)}, upstream cost ${money(s.cost)}.`
  }, [days])
  return (
    <div className="chart-row">
      <figure className="card chart" aria-labelledby="chart-solves-title">
        <h2 id="chart-solves-title">Solves and failures per day</h2>
        <p className="sr-only">{summary}</p>
        {empty ? (
          <p className="muted empty">
            No solves in the last {CHART_DAYS} days. Run a test solve to see it here.
          </p>
        ) : (
          <div aria-hidden="true">
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={days} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" stroke="var(--line)" />
                <XAxis dataKey="label" stroke="var(--muted)" tick={{ fill: 'var(--muted)' }} />
                <YAxis stroke="var(--muted)" tick={{ fill: 'var(--muted)' }} allowDecimals={false} />
                <Tooltip
                  cursor={{ fill: 'var(--line)', stroke: 'var(--line)', fillOpacity: 0.5 }}
                  labelStyle={{ color: 'var(--text)' }}
                  itemStyle={{ color: 'var(--text)' }}
                  contentStyle={{
                    background: 'var(--panel)',
                    border: '1px solid var(--line)',
                    color: 'var(--text)',
                  }}
                />
                <Legend />
                <Bar dataKey="solves" fill="var(--chart-1)" name="Solved" isAnimationActive={false} />
                <Bar dataKey="failures" fill="var(--chart-2)" name="Failed" isAnimationActive={false} />
                <Bar
                  dataKey="rejections"
                  fill="var(--chart-3)"
                  name="Refused by a limit"
                  isAnimationActive={false}
                />
              </BarChart>
            </ResponsiveContainer>
          </div>
        )}
      </figure>
      <figure className="card chart" aria-labelledby="chart-money-title">
        <h2 id="chart-money-title">Billed and upstream cost per day ({currency})</h2>
        {empty ? (
          <p className="muted empty">Nothing billed yet.</p>
        ) : (
          <div aria-hidden="true">
            <ResponsiveContainer width="100%" height={220}>
              <LineChart data={days} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" stroke="var(--line)" />
                <XAxis dataKey="label" stroke="var(--muted)" tick={{ fill: 'var(--muted)' }} />
                <YAxis
                  stroke="var(--muted)"
                  tick={{ fill: 'var(--muted)' }}
                  tickFormatter={moneyTick}
                  width={70}
                />
                <Tooltip
                  formatter={(v) => moneyAuto(Number(v))}
                  contentStyle={{
                    background: 'var(--panel)',
                    border: '1px solid var(--line)',
                    color: 'var(--text)',
                  }}
                />
                <Legend />
                <Line
                  dataKey="priceMicros"
                  stroke="var(--chart-1)"
                  name="Billed"
                  strokeWidth={2}
                  dot={false}
                  isAnimationActive={false}
                />
                <Line
                  dataKey="costMicros"
                  stroke="var(--chart-2)"
                  name="Upstream cost"
                  strokeWidth={2}
                  strokeDasharray="5 3"
                  dot={false}
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </div>
        )}
      </figure>
    </div>
  )
}

export function Dashboard() {
  const { data, days, error, load, loadedAt, loading } = useDashboard()
  const alerts = useAlerts((s) => s.active)
  const [page, setPage] = useState(0)
  useEffect(() => {
    void load()
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') void load()
    }, POLL_MS)
    return () => clearInterval(t)
  }, [load])
  const rows = useMemo(
    () =>
      [...(data?.tenants ?? [])].sort((a, b) => pressure(b) - pressure(a) || a.name.localeCompare(b.name)),
    [data],
  )
  const pages = Math.max(1, Math.ceil(rows.length / PAGE))
  const shown = rows.slice(page * PAGE, page * PAGE + PAGE)
  const inFlight = rows.reduce((n, r) => n + r.inFlight, 0)

  return (
    <Screen
      title="Dashboard"
      intro={
        loadedAt ? `Updated ${new Date(loadedAt).toLocaleTimeString()} · refreshes every 5 s` : undefined
      }
      actions={
        <button onClick={() => void load()} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      }
    >
      <ErrorNote text={error} />
      {!data && !error ? <p aria-busy="true">Loading the figures…</p> : null}
      {data ? (
        <>
          <Onboarding />
          <div className="cards">
            <div className="card stat">
              <h2>Shared threads in use</h2>
              <p className="big">
                {data.sharedThreads.inUse ?? '—'} / {data.sharedThreads.capacity ?? '∞'}
              </p>
              <small className="muted">
                {data.sharedThreads.inUse === null
                  ? 'the upstream does not report threads in use'
                  : `${inFlight} solve${inFlight === 1 ? '' : 's'} in flight across tenants`}
              </small>
            </div>
            {data.balances.length === 0 ? (
              <div className="card stat">
                <h2>Upstream balance</h2>
                <p className="big">—</p>
                <small className="muted">not checked yet (Balances → Check now)</small>
              </div>
            ) : null}
            {data.balances.map((b) => (
              <BalanceCard key={b.account} check={b} checked="checked" />
            ))}
            <div className="card stat">
              <h2>Active alerts</h2>
              <p className={`big${alerts.length ? ' warn-text' : ''}`}>{alerts.length}</p>
              <small className="muted">daily limits, budgets, low balance</small>
            </div>
          </div>
          {alerts.length > 0 ? (
            <Section id="alerts-title" title="Alerts">
              <ul className="alerts">
                {alerts.map((a) => (
                  <li key={a.id}>
                    <strong>{a.kind.replaceAll('_', ' ')}</strong> — {a.message}{' '}
                    <span className="muted small">({formatTime(a.raisedAt)})</span>
                  </li>
                ))}
              </ul>
            </Section>
          ) : null}
          <Charts days={days} />
          <TableScroll label="Tenants today and this month">
            <table className="grid" aria-describedby="dash-table-note">
              <caption>
                Tenants today and this month{' '}
                <span className="muted small" id="dash-table-note">
                  (closest to a limit first)
                </span>
              </caption>
              <TableHead
                columns={[
                  'Tenant',
                  'Today: counted vs daily limit',
                  'Today: solved / failed / refused',
                  'This month: billed vs budget',
                  'Month upstream cost',
                  'In flight',
                ]}
              />
              <tbody>
                {rows.length === 0 ? (
                  <EmptyRow columns={6} className="muted">
                    No tenants yet — <a href="#/tenants/new">add the first one</a>.
                  </EmptyRow>
                ) : null}
                {shown.map((t) => (
                  <TenantRow key={t.tenantId} t={t} />
                ))}
              </tbody>
            </table>
          </TableScroll>
          <Pager label="Dashboard pages" page={page} pages={pages} onPage={setPage} />
        </>
      ) : null}
    </Screen>
  )
}
