/** Tenants: a searchable, paged list (fast with thousands), and the create / edit form with keys. */
import { memo, useDeferredValue, useEffect, useMemo, useState } from 'react'
import type { ScreenProps } from '../router'
import { confirm } from '../components/confirm'
import { ErrorNote, Screen, money, plural } from '../components/ui'
import { navigate } from '../router'
import { filterTenants, useTenants, type KeyInfo } from '../stores/tenants'
import type { Tenant } from '@shared/tenant'
import { TenantForm } from './TenantForm'
import { TenantPage } from './tenant/TenantPage'
import { EmptyRow, Pager, TableHead, TableScroll, unseen } from '../components/table'

const PAGE_SIZE = 50

function limitsText(t: Tenant): string {
  const l = t.limits
  const parts = [
    l.requestsPerMinute !== undefined ? `${l.requestsPerMinute}/min` : null,
    l.solvesPerDay !== undefined ? `${l.solvesPerDay.toLocaleString('en-US')}/day` : null,
    l.maxConcurrent !== undefined ? `${l.maxConcurrent} at once` : null,
    l.monthlyBudgetMicros !== undefined ? `budget ${money(l.monthlyBudgetMicros)}/month` : null,
  ].filter(Boolean)
  return parts.length ? parts.join(' · ') : 'no limits'
}

function planText(t: Tenant): string {
  const p = t.pricePlan
  const base =
    p.kind === 'markup'
      ? `cost + ${(p.markupBps / 100).toLocaleString('en-US', { maximumFractionDigits: 2 })} %`
      : 'price per solve'
  return p.monthlyMinimumMicros ? `${base}, min ${money(p.monthlyMinimumMicros)}` : base
}

const TenantRow = memo(function TenantRow({ t, keyInfo }: { t: Tenant; keyInfo: KeyInfo | undefined }) {
  const setStatus = useTenants((s) => s.setStatus)
  return (
    <tr>
      <th scope="row">
        <a href={`#/tenants/${t.id}`} className="row-link">
          {t.name}
        </a>
        <div className="muted small mono">{t.id}</div>
      </th>
      <td>
        <span className={`tag ${t.status}`}>{t.status}</span>
      </td>
      <td className="small">
        {t.keyMode === 'shared' ? (
          'shared platform key'
        ) : keyInfo ? (
          <>
            own: {keyInfo.label} <span className="mono">•••• {keyInfo.last4}</span>
          </>
        ) : (
          <span className="bad-text">own key — not set</span>
        )}
      </td>
      <td className="small">{limitsText(t)}</td>
      <td className="small">{planText(t)}</td>
      <td className="small">{t.timezone}</td>
      <td>
        <div className="row-actions">
          <a className="button" href={`#/tenants/${t.id}/edit`} aria-label={`Edit ${t.name}`}>
            Edit
          </a>
          {t.status === 'active' ? (
            <button
              aria-label={`Suspend ${t.name}`}
              onClick={async () => {
                if (
                  await confirm({
                    title: `Suspend “${t.name}”?`,
                    body: 'New solves for this tenant are refused until you resume it. Solves in flight finish.',
                    confirmLabel: 'Suspend',
                  })
                )
                  await setStatus(t.id, 'suspend')
              }}
            >
              Suspend
            </button>
          ) : (
            <button aria-label={`Resume ${t.name}`} onClick={() => void setStatus(t.id, 'resume')}>
              Resume
            </button>
          )}
          <button
            className="danger"
            aria-label={`Delete ${t.name}`}
            onClick={async () => {
              if (
                await confirm({
                  title: `Delete “${t.name}”?`,
                  body: 'The tenant disappears from the list and its gateway keys stop working. Its usage history and invoices are kept.',
                  confirmLabel: 'Delete tenant',
                  danger: true,
                })
              )
                await setStatus(t.id, 'delete')
            }}
          >
            Delete
          </button>
        </div>
      </td>
    </tr>
  )
})

function TenantList() {
  const { tenants, keys, load, loadKeys, search, setSearch, error, loaded } = useTenants()
  const [page, setPage] = useState(0)
  const [status, setStatusFilter] = useState<'all' | 'active' | 'suspended'>('all')
  useEffect(() => {
    void load()
    void loadKeys()
  }, [load, loadKeys])
  const sorted = useMemo(() => [...tenants].sort((a, b) => a.name.localeCompare(b.name)), [tenants])
  const deferredSearch = useDeferredValue(search)
  const filtered = useMemo(() => {
    const byText = filterTenants(sorted, deferredSearch)
    return status === 'all' ? byText : byText.filter((t) => t.status === status)
  }, [sorted, deferredSearch, status])
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE_SIZE))
  const safePage = Math.min(page, pages - 1)
  const shown = filtered.slice(safePage * PAGE_SIZE, safePage * PAGE_SIZE + PAGE_SIZE)

  return (
    <Screen
      title="Tenants"
      actions={
        <a className="button primary" href="#/tenants/new">
          Add tenant
        </a>
      }
    >
      <ErrorNote text={error} />
      <div className="toolbar">
        <div className="field">
          <label htmlFor="tenant-search">Search tenants</label>
          <input
            id="tenant-search"
            type="search"
            placeholder="Name or id"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value)
              setPage(0)
            }}
          />
        </div>
        <div className="field">
          <label htmlFor="tenant-status">Status</label>
          <select
            id="tenant-status"
            value={status}
            onChange={(e) => {
              setStatusFilter(e.target.value as typeof status)
              setPage(0)
            }}
          >
            <option value="all">All</option>
            <option value="active">Active</option>
            <option value="suspended">Suspended</option>
          </select>
        </div>
        <span className="muted count" role="status" data-testid="tenant-count">
          {filtered.length === tenants.length
            ? plural(tenants.length, 'tenant')
            : `${plural(filtered.length, 'tenant')} of ${tenants.length.toLocaleString('en-US')}`}
        </span>
      </div>
      <TableScroll label="Tenants (scrolls sideways on narrow windows)">
        <table className="grid" data-testid="tenant-table">
          <TableHead
            columns={[
              'Name',
              'Status',
              'Upstream key',
              'Limits',
              'Price plan',
              'Time zone',
              unseen('Actions'),
            ]}
          />
          <tbody>
            {shown.map((t) => (
              <TenantRow key={t.id} t={t} keyInfo={keys.get(t.id)} />
            ))}
            {shown.length === 0 ? (
              <EmptyRow columns={7}>
                {!loaded ? (
                  'Loading…'
                ) : tenants.length === 0 ? (
                  <>
                    No tenants yet. <a href="#/tenants/new">Add your first tenant</a> to resell the upstream
                    to them.
                  </>
                ) : (
                  'No tenant matches that search.'
                )}
              </EmptyRow>
            ) : null}
          </tbody>
        </table>
      </TableScroll>
      <Pager label="Tenant pages" page={safePage} pages={pages} onPage={setPage} />
    </Screen>
  )
}

function TenantRoute({ param }: { param: string }) {
  const { tenants, load, loadKeys, loaded } = useTenants()
  useEffect(() => {
    if (!loaded) void load()
    void loadKeys()
  }, [load, loadKeys, loaded])
  const open = (t: Tenant) => navigate('tenants', t.id)
  if (param === 'new') return <TenantForm tenant={null} onDone={open} />
  const [id, view] = param.split('/')
  const tenant = tenants.find((t) => t.id === id)
  if (!tenant)
    return (
      <Screen
        title="Tenant not found"
        actions={
          <a className="button" href="#/tenants">
            Back to the list
          </a>
        }
      >
        <p>{loaded ? `There is no tenant with id ${id}. It may have been deleted.` : 'Loading…'}</p>
      </Screen>
    )
  if (view === 'edit') return <TenantForm tenant={tenant} onDone={open} />
  return <TenantPage tenant={tenant} />
}

export function Tenants({ param }: ScreenProps) {
  return param ? <TenantRoute key={param} param={param} /> : <TenantList />
}
