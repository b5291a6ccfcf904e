/** Who did what and when: tenants, keys (never the key itself), settings, exports, gateway. */
import { useDeferredValue, useEffect, useMemo } from 'react'
import { ErrorNote, Screen, formatTime } from '../components/ui'
import { useAudit } from '../stores/audit'

function detailsText(details: Record<string, unknown>): string {
  const show = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))
  const text = Object.entries(details)
    .map(([k, v]) =>
      typeof v === 'object' && v !== null && 'from' in v && 'to' in v
        ? `${k}: ${show(v.from)} → ${show(v.to)}`
        : `${k}: ${show(v)}`,
    )
    .join(' · ')
  return text.length > 240 ? `${text.slice(0, 240)}…` : text
}

export function AuditLog() {
  const { entries, loading, loaded, exhausted, error, filter, setFilter, load, loadOlder } = useAudit()
  useEffect(() => {
    void load()
  }, [load])
  const q = useDeferredValue(filter.trim().toLowerCase())
  const shown = useMemo(
    () =>
      q
        ? entries.filter(
            (e) =>
              e.action.toLowerCase().includes(q) ||
              e.actor.toLowerCase().includes(q) ||
              (e.subjectId ?? '').toLowerCase().includes(q),
          )
        : entries,
    [entries, q],
  )
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
          <label htmlFor="audit-filter">Filter by action, actor or subject</label>
          <input id="audit-filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
        <span className="muted count" role="status">
          {shown.length} of {entries.length} loaded entries
        </span>
      </div>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            <th scope="col">Subject</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted empty">
                {!loaded
                  ? 'Loading…'
                  : entries.length
                    ? 'No entry matches the filter.'
                    : 'Nothing recorded yet.'}
              </td>
            </tr>
          ) : null}
          {shown.map((r) => (
            <tr key={r.id}>
              <td className="nowrap">{formatTime(r.at)}</td>
              <td>{r.actor}</td>
              <td className="mono">{r.action}</td>
              <td className="mono small">{r.subjectId ?? '—'}</td>
              <td className="small details">{detailsText(r.details)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!exhausted && entries.length > 0 ? (
        <button onClick={() => void loadOlder()} disabled={loading}>
          {loading ? 'Loading…' : 'Load older entries'}
        </button>
      ) : null}
    </Screen>
  )
}
