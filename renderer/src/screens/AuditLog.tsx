/** Who did what and when, in plain language: tenants by name, changes as "from → to", money formatted. */
import { useEffect, useMemo } from 'react'
import { actionLabel, ACTION_FAMILIES, detailPhrases, subjectLabel } from '../components/audit-text'
import { ErrorNote, Screen, formatTime } from '../components/ui'
import { useAudit } from '../stores/audit'
import { EmptyRow, TableHead, TableScroll } from '../components/table'

export function AuditLog() {
  const { entries, names, loading, loaded, exhausted, error, filters, setFilters, load, loadOlder } =
    useAudit()
  useEffect(() => {
    void load()
  }, [load])
  const tenantOptions = useMemo(() => [...names.entries()].sort((a, b) => a[1].localeCompare(b[1])), [names])
  const filtered = filters.tenantId || filters.action || filters.from || filters.to
  return (
    <Screen
      title="Audit log"
      actions={
        <button onClick={() => void load()} disabled={loading}>
          {loading ? 'Loading…' : 'Reload'}
        </button>
      }
    >
      <ErrorNote text={error} />
      <div className="toolbar">
        <div className="field">
          <label htmlFor="audit-tenant">Tenant</label>
          <select
            id="audit-tenant"
            value={filters.tenantId}
            onChange={(e) => setFilters({ tenantId: e.target.value })}
          >
            <option value="">All tenants and the rest</option>
            {tenantOptions.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <select
            id="audit-action"
            value={filters.action}
            onChange={(e) => setFilters({ action: e.target.value })}
          >
            {ACTION_FAMILIES.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-from">From</label>
          <input
            id="audit-from"
            type="date"
            value={filters.from}
            onChange={(e) => setFilters({ from: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To</label>
          <input
            id="audit-to"
            type="date"
            value={filters.to}
            onChange={(e) => setFilters({ to: e.target.value })}
          />
        </div>
        {filtered ? (
          <button type="button" onClick={() => setFilters({ tenantId: '', action: '', from: '', to: '' })}>
            Clear filters
          </button>
        ) : null}
        <span className="muted count" role="status">
          {entries.length} {filtered ? 'matching ' : ''}entries loaded
        </span>
      </div>
      <TableScroll label="Audit entries">
        <table className="grid" data-testid="audit-table">
          <TableHead columns={['When', 'Who', 'What', 'About', 'Details']} />
          <tbody>
            {entries.length === 0 ? (
              <EmptyRow columns={5}>
                {!loaded ? 'Loading…' : filtered ? 'No entry matches the filters.' : 'Nothing recorded yet.'}
              </EmptyRow>
            ) : null}
            {entries.map((r) => (
              <tr key={r.id}>
                <td className="nowrap">{formatTime(r.at)}</td>
                <td>{r.actor}</td>
                <td>{actionLabel(r.action)}</td>
                <td>
                  {r.subjectId && names.has(r.subjectId) ? (
                    <a href={`#/tenants/${r.subjectId}`}>{subjectLabel(r, names)}</a>
                  ) : (
                    subjectLabel(r, names)
                  )}
                </td>
                <td className="small details">{detailPhrases(r).join(' · ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {!exhausted && entries.length > 0 ? (
        <button onClick={() => void loadOlder()} disabled={loading}>
          {loading ? 'Loading…' : 'Load older entries'}
        </button>
      ) : null}
    </Screen>
  )
}
