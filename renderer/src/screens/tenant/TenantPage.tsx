/**
 * One place per tenant: today and this month against its limits (explained), balance, its keys (own key checked
 * before saving; gateway key handed over with snippets), 14 days of usage, refusals and failures by code, recent
 * attempts, invoices and its audit trail. Creating a tenant lands here.
 */
import { useMemo } from 'react'
import type { Tenant } from '@shared/tenant'
import { wallTimeIn, zoneOffsetLabel } from '@shared/time-zones'
import { actionLabel, detailPhrases } from '../../components/audit-text'
import {
  ErrorNote,
  Meter,
  Screen,
  Section,
  formatTime,
  money,
  moneyAuto,
  plural,
  upstreamMoney,
  useNow,
} from '../../components/ui'
import { useTenants } from '../../stores/tenants'
import { Charts } from '../Dashboard'
import { concurrentHint, dailyHint, rpmHint } from './limit-hints'
import { GatewayKeyCard, UpstreamKeyCard } from './keys'
import { useTenantData, type TenantData } from './use-tenant-data'
import { EmptyRow, num, TableHead, TableScroll } from '../../components/table'

const REFUSAL_NAMES: Record<string, string> = {
  rate: 'Rate limit (requests per minute)',
  daily: 'Daily limit',
  concurrency: 'Concurrent solves',
  budget: 'Monthly budget',
  shared_capacity: 'Shared threads busy',
  suspended: 'Tenant suspended',
  unknown_tenant: 'Unknown tenant',
}

function sumCodes(
  rows: TenantData['usage'],
  pick: 'rejectionsByCode' | 'failuresByCode',
): Array<[string, number]> {
  const out = new Map<string, number>()
  for (const r of rows)
    for (const [code, n] of Object.entries(r[pick])) out.set(code, (out.get(code) ?? 0) + n)
  return [...out.entries()].sort((a, b) => b[1] - a[1])
}

function LimitsCard({ tenant }: { tenant: Tenant }) {
  const l = tenant.limits
  const zone = tenant.timezone
  return (
    <section className="card" aria-labelledby="limits-title">
      <h2 id="limits-title">Limits</h2>
      <ul className="plain-list small">
        <li>{rpmHint(l.requestsPerMinute === undefined ? '' : String(l.requestsPerMinute))}</li>
        <li>{dailyHint(l.solvesPerDay === undefined ? '' : String(l.solvesPerDay), zone)}</li>
        <li>{concurrentHint(l.maxConcurrent === undefined ? '' : String(l.maxConcurrent))}</li>
        <li>
          {l.monthlyBudgetMicros === undefined
            ? 'No monthly budget.'
            : `Monthly budget ${money(l.monthlyBudgetMicros)}, renewed on the 1st at 00:00 ${zone} time.`}
        </li>
      </ul>
    </section>
  )
}

function BalanceCard({ tenant, data }: { tenant: Tenant; data: TenantData }) {
  const keyInfo = useTenants((s) => s.keys.get(tenant.id))
  const own = keyInfo ? data.balances.find((b) => b.account.endsWith(`:${keyInfo.fingerprint}`)) : undefined
  return (
    <section className="card stat" aria-labelledby="balance-title">
      <h2 id="balance-title">{tenant.keyMode === 'own' ? 'Own key balance' : 'Upstream account'}</h2>
      {tenant.keyMode === 'shared' ? (
        <>
          <p className="big">Shared</p>
          <small className="muted">Solves run on the platform key; its balance is under Balances.</small>
        </>
      ) : own ? (
        <>
          <p className="big">
            {own.errorCode ? (
              <span className="bad-text">{own.errorCode}</span>
            ) : (
              upstreamMoney(own.balanceMicros)
            )}
          </p>
          <small className="muted">checked {formatTime(own.checkedAt)}</small>
        </>
      ) : (
        <>
          <p className="big">—</p>
          <small className="muted">
            {keyInfo ? 'Not checked yet (Balances → Check now).' : 'No own key saved yet.'}
          </small>
        </>
      )}
    </section>
  )
}

/** Prepaid credit left, or for a postpaid tenant what its client reads from getbalance. */
function CreditCard({ data }: { data: TenantData }) {
  const c = data.credit
  if (!c) return null
  return (
    <section className="card stat" aria-labelledby="credit-title" data-testid="tenant-credit">
      <h2 id="credit-title">{c.prepaid ? 'Prepaid credit left' : 'Balance its client sees'}</h2>
      <p className="big">{money(c.prepaid ? c.leftMicros : c.gatewayBalanceMicros)}</p>
      <small className="muted">
        {c.prepaid
          ? `bought ${money(c.boughtMicros)}, used ${money(c.usedMicros)}, held for solves in flight ${moneyAuto(c.reservedMicros)}`
          : 'postpaid: invoiced monthly; getbalance answers with what is left of the budget'}
      </small>
    </section>
  )
}

function CodesTable({ title, rows, empty }: { title: string; rows: Array<[string, number]>; empty: string }) {
  return (
    <table className="grid compact">
      <caption>{title}</caption>
      <TableHead columns={['Code', num('Count')]} />
      <tbody>
        {rows.length === 0 ? (
          <EmptyRow columns={2} className="muted">
            {empty}
          </EmptyRow>
        ) : null}
        {rows.map(([code, n]) => (
          <tr key={code}>
            <td>
              {REFUSAL_NAMES[code] ?? code}{' '}
              {REFUSAL_NAMES[code] ? <span className="muted small mono">{code}</span> : null}
            </td>
            <td className="num">{n.toLocaleString('en-US')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function TenantPage({ tenant }: { tenant: Tenant }) {
  const { data, error, loading, reload } = useTenantData(tenant.id)
  const refusals = useMemo(() => (data ? sumCodes(data.usage, 'rejectionsByCode') : []), [data])
  const failures = useMemo(() => (data ? sumCodes(data.usage, 'failuresByCode') : []), [data])
  const now = useNow(true, 30_000)
  const row = data?.row
  return (
    <Screen
      title={tenant.name}
      intro={
        <>
          <span className={`tag ${tenant.status}`}>{tenant.status}</span> ·{' '}
          {tenant.keyMode === 'own' ? 'own upstream key' : 'shared platform key'} · {tenant.timezone}, now{' '}
          {wallTimeIn(tenant.timezone, now)} ({zoneOffsetLabel(tenant.timezone, now)}) ·{' '}
          <span className="mono small">{tenant.id}</span>
        </>
      }
      actions={
        <>
          <a className="button" href={`#/tenants/${tenant.id}/edit`}>
            Edit settings
          </a>
          <button onClick={() => void reload()} disabled={loading}>
            {loading ? 'Refreshing…' : 'Refresh'}
          </button>
          <a className="button" href="#/tenants">
            Back to the list
          </a>
        </>
      }
    >
      <ErrorNote text={error} />
      {tenant.keyMode === 'own' ? <OwnKeyNudge tenant={tenant} /> : null}
      <div className="cards">
        <section className="card stat" aria-labelledby="today-title">
          <h2 id="today-title">Today</h2>
          {row ? (
            <>
              <Meter
                value={row.today.counted}
                max={tenant.limits.solvesPerDay}
                label={`${tenant.name}: solves today`}
              />
              <small className="muted">
                {plural(row.today.solves, 'solve')}, {plural(row.today.failures, 'failure')},{' '}
                {plural(row.today.rejections, 'refusal')} · {row.inFlight} in flight
              </small>
            </>
          ) : (
            <p aria-busy="true">Loading…</p>
          )}
        </section>
        <section className="card stat" aria-labelledby="month-title">
          <h2 id="month-title">This month</h2>
          {row ? (
            <>
              <Meter
                value={row.month.spentMicros}
                max={tenant.limits.monthlyBudgetMicros}
                label={`${tenant.name}: billed this month`}
                format={moneyAuto}
              />
              <small className="muted">
                {plural(row.month.solves, 'solve')} · upstream cost {moneyAuto(row.month.costMicros)}
              </small>
            </>
          ) : (
            <p aria-busy="true">Loading…</p>
          )}
        </section>
        {data ? <CreditCard data={data} /> : null}
        {data ? <BalanceCard tenant={tenant} data={data} /> : null}
      </div>
      <div className="cards wide">
        <UpstreamKeyCard tenant={tenant} />
        <GatewayKeyCard tenant={tenant} />
      </div>
      <LimitsCard tenant={tenant} />
      {data ? <Charts days={data.days} /> : null}
      {data ? (
        <div className="chart-row">
          <div className="card">
            <CodesTable title="Refusals by code (14 days)" rows={refusals} empty="No refusals." />
          </div>
          <div className="card">
            <CodesTable title="Failures by code (14 days)" rows={failures} empty="No failures." />
          </div>
        </div>
      ) : null}
      {data ? <RecentAttempts data={data} /> : null}
      {data ? <Invoices data={data} /> : null}
      {data ? <AuditTrail data={data} /> : null}
    </Screen>
  )
}

function OwnKeyNudge({ tenant }: { tenant: Tenant }) {
  const keyInfo = useTenants((s) => s.keys.get(tenant.id))
  if (keyInfo) return null
  return (
    <p className="note warn" role="status">
      This tenant uses its own upstream key and none is saved yet: its solves are refused until you save it
      below.
    </p>
  )
}

function RecentAttempts({ data }: { data: TenantData }) {
  return (
    <Section id="recent-title" title="Recent attempts">
      <TableScroll labelledBy="recent-title">
        <table className="grid compact" data-testid="recent-attempts">
          <TableHead columns={['When', 'Type', 'From', 'Outcome', num('Billed')]} />
          <tbody>
            {data.recent.length === 0 ? (
              <EmptyRow columns={5} className="muted">
                No attempts yet. <a href="#/solve">Run a test solve</a>.
              </EmptyRow>
            ) : null}
            {data.recent.map((a) => (
              <tr key={a.attemptId}>
                <td className="nowrap">{formatTime(a.createdAt)}</td>
                <td>{a.captchaType}</td>
                <td>{a.source}</td>
                <td>
                  {a.status}
                  {a.errorCode ? <span className="muted small mono"> {a.errorCode}</span> : null}
                </td>
                <td className="num">{a.status === 'solved' ? moneyAuto(a.priceMicros) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </Section>
  )
}

function Invoices({ data }: { data: TenantData }) {
  return (
    <Section id="inv-title" title="Invoices">
      <table className="grid compact">
        <TableHead columns={['Month', 'Number', 'Status', num('Solves'), num('Total')]} />
        <tbody>
          {data.invoices.map((i) => (
            <tr key={i.month}>
              <td>{i.month}</td>
              <td>{i.number ?? 'draft'}</td>
              <td>
                <span className={`tag ${i.status}`}>{i.status}</span>
              </td>
              <td className="num">{i.solves.toLocaleString('en-US')}</td>
              <td className="num">{money(i.totalMicros)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small">
        <a href="#/billing">Open Billing</a> to see the lines and export CSV.
      </p>
    </Section>
  )
}

function AuditTrail({ data }: { data: TenantData }) {
  return (
    <Section id="trail-title" title="Audit trail">
      {data.audit.length === 0 ? <p className="muted">Nothing recorded yet.</p> : null}
      <ul className="trail" data-testid="tenant-audit">
        {data.audit.map((e) => (
          <li key={e.id}>
            <span className="muted small nowrap">{formatTime(e.at)}</span> {actionLabel(e.action)} ({e.actor})
            {detailPhrases(e).length ? <span className="small">: {detailPhrases(e).join(' · ')}</span> : null}
          </li>
        ))}
      </ul>
    </Section>
  )
}
