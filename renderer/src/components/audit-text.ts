/**
 * Audit entries in plain language: who, what (a sentence, not an action id), about whom (the tenant's name), and the
 * changes with money in the one money format. Unknown actions and fields still show, in a readable fallback.
 */
import type { OutputOf } from '@shared/ipc-contract'
import { money } from './ui'

export type AuditEntry = OutputOf<'audit.list'>[number]

const ACTION_LABELS: Record<string, string> = {
  'tenant.create': 'Created the tenant',
  'tenant.update': 'Changed the tenant',
  'tenant.suspend': 'Suspended the tenant',
  'tenant.resume': 'Resumed the tenant',
  'tenant.delete': 'Deleted the tenant',
  'vault.create': 'Created the vault',
  'vault.unlock': 'Unlocked the vault',
  'vault.unlockFailed': 'Failed to unlock the vault',
  'vault.acceptOlder': 'Opened an older copy of the vault (restored backup)',
  'vault.lock': 'Locked the vault',
  'vault.changePassphrase': 'Changed the passphrase',
  'vault.setDeviceUnlock': 'Changed device unlock',
  'vault.setPlatformKey': 'Saved the platform key',
  'vault.removePlatformKey': 'Removed the platform key',
  'vault.setTenantKey': 'Saved the tenant’s own key',
  'vault.removeTenantKey': 'Removed the tenant’s own key',
  'settings.update': 'Changed settings',
  'settings.load': 'Settings loaded with a note',
  'gateway.start': 'Started the gateway',
  'gateway.stop': 'Stopped the gateway',
  'gateway.issueKey': 'Issued a gateway key',
  'gateway.rotateKey': 'Rotated the gateway key',
  'gateway.revokeKey': 'Revoked the gateway keys',
  'billing.export': 'Exported invoices',
  'alerts.ack': 'Acknowledged an alert',
  'solve.cancel': 'Cancelled a test solve',
}

/** The action families the filter offers. */
export const ACTION_FAMILIES: Array<{ value: string; label: string }> = [
  { value: '', label: 'All actions' },
  { value: 'tenant.', label: 'Tenants' },
  { value: 'vault.', label: 'Vault and keys' },
  { value: 'vault.lock', label: 'Locks' },
  { value: 'vault.unlockFailed', label: 'Failed unlocks' },
  { value: 'gateway.', label: 'Gateway' },
  { value: 'settings.', label: 'Settings' },
  { value: 'billing.', label: 'Billing' },
  { value: 'alerts.', label: 'Alerts' },
]

const FIELD_LABELS: Record<string, string> = {
  name: 'name',
  keyMode: 'upstream key',
  timezone: 'time zone',
  limits: 'limits',
  pricePlan: 'price plan',
  shareWeight: 'share weight',
  notes: 'notes',
  alertThresholds: 'alert thresholds',
  status: 'status',
  requestsPerMinute: 'requests per minute',
  solvesPerDay: 'solves per day',
  maxConcurrent: 'concurrent solves',
  monthlyBudgetMicros: 'monthly budget',
  monthlyMinimumMicros: 'monthly minimum',
  markupBps: 'markup',
  graceHours: 'grace hours',
  last4: 'key ending',
  reason: 'reason',
  fileGeneration: 'version of the copy opened',
  anchoredGeneration: 'version last written',
  autoLockMinutes: 'auto-lock minutes',
  lowBalanceMicros: 'low-balance alert',
}

const REASONS: Record<string, string> = {
  operator: 'by the operator',
  idle: 'after idle time',
  suspend: 'when the computer slept',
  'lock-screen': 'when the screen locked',
}

const label = (k: string): string =>
  FIELD_LABELS[k] ??
  k
    .replace(/Micros$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()

function value(k: string, v: unknown): string {
  if (v === undefined || v === null || v === '') return k.endsWith('Micros') ? 'none' : '—'
  if (typeof v === 'number') {
    if (k.endsWith('Micros')) return money(v, 6)
    if (k === 'markupBps') return `${(v / 100).toLocaleString('en-US')} %`
    return v.toLocaleString('en-US')
  }
  if (k === 'keyMode') return v === 'own' ? 'own key' : 'shared platform key'
  if (typeof v === 'boolean') return v ? 'on' : 'off'
  if (Array.isArray(v)) return v.map((x) => value(k, x)).join(', ')
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>
    if (k === 'pricePlan')
      return o.kind === 'markup' ? `markup ${value('markupBps', o.markupBps)}` : 'price per solve'
    if (k === 'alertThresholds' && Array.isArray(o.percents)) return `${o.percents.join(', ')} %`
    const parts = Object.entries(o).map(([kk, vv]) => `${label(kk)} ${value(kk, vv)}`)
    return parts.length ? parts.join(', ') : 'none'
  }
  return String(v)
}

/** A nested {from,to} of objects becomes one change per field that differs ("solves per day 100 → 200"). */
function changes(k: string, from: unknown, to: unknown): string[] {
  const isObj = (x: unknown): x is Record<string, unknown> =>
    typeof x === 'object' && x !== null && !Array.isArray(x)
  if (isObj(from) && isObj(to) && k !== 'pricePlan') {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])]
    return keys
      .filter((kk) => JSON.stringify(from[kk]) !== JSON.stringify(to[kk]))
      .flatMap((kk) => changes(kk, from[kk], to[kk]))
  }
  return [`${label(k)} ${value(k, from)} → ${value(k, to)}`]
}

/** The details as short plain phrases. */
export function detailPhrases(e: AuditEntry): string[] {
  const out: string[] = []
  for (const [k, v] of Object.entries(e.details)) {
    if (k === '_redacted' || k === 'fingerprint') continue
    if (k === 'reason' && typeof v === 'string') {
      out.push(REASONS[v] ?? v)
      continue
    }
    if (typeof v === 'object' && v !== null && 'from' in v && 'to' in v) {
      out.push(...changes(k, (v as { from: unknown }).from, (v as { to: unknown }).to))
      continue
    }
    out.push(`${label(k)}: ${value(k, v)}`)
  }
  return out
}

export function actionLabel(action: string): string {
  return (
    ACTION_LABELS[action] ??
    action
      .replace('.', ': ')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase()
  )
}

/** "Acme Scraping" for a tenant id, or what the subject is. */
export function subjectLabel(e: AuditEntry, names: ReadonlyMap<string, string>): string {
  if (!e.subjectId) return e.subjectType === 'vault' || e.action.startsWith('vault.') ? 'vault' : '—'
  return (
    names.get(e.subjectId) ?? (e.subjectId.startsWith('t_') ? `deleted tenant (${e.subjectId})` : e.subjectId)
  )
}
