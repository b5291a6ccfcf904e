/** Who did what and when, in plain language: tenants by name, changes as "from → to", money formatted. */
import { useEffect, useMemo } from 'react'
import { actionLabel, ACTION_FAMILIES, detailPhrases, subjectLabel } from '../components/audit-text'
import { SelectField, TextField } from '../components/form-fields'
import { ErrorNote, Screen, formatTime } from '../components/ui'
import { useAudit } from '../stores/audit'
import { EmptyRow, TableHead, TableScroll } from '../components/table'

const ALL_TENANTS = ['', 'All tenants and the rest'] as const
const actionOptions = ACTION_FAMILIES.map((a) => [a.value, a.label] as const)

export function AuditLog() {
  const { entries, names, loading, loaded, exhausted, error, filters, setFilters, load, loadOlder } =
    useAudit()
  useEffect(() => {
    void load()
  }, [load])
  const tenantOptions = useMemo(
    () => [ALL_TENANTS, ...[...names.entries()].sort((a, b) => a[1].localeCompare(b[1]))] as const,
    [names],
  )
  /** A filter control's value and change, for one filter. */
  const filter = (key: keyof typeof filters) => ({
    value: filters[key],
    onChange: (v: string) => setFilters({ [key]: v }),
  })
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
        <SelectField id="audit-tenant" label="Tenant" options={tenantOptions} {...filter('tenantId')} />
        <SelectField id="audit-action" label="Action" options={actionOptions} {...filter('action')} />
        <TextField id="audit-from" label="From" type="date" {...filter('from')} />
        <TextField id="audit-to" label="To" type="date" {...filter('to')} />
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
