/** Writes solved/failed attempts straight into a ledger database, for billing tests and benchmarks. */
import type { CaptchaType } from '@shared/captcha'
import type { Database } from '../../electron/engine/db/database'

export interface SeedRow {
  id: string
  tenantId: string
  type: CaptchaType
  endedAt: number
  settledAt?: number
  status?: 'solved' | 'failed'
  threadMs?: number
  cost?: number
  price?: number
  account?: string
  /** Default: 9 followed by the id's digits. */
  taskId?: string | null
}

export function seedAttempts(db: Database, rows: Iterable<SeedRow>): number {
  const ins = db.prepare(
    `INSERT INTO attempts (attempt_id, tenant_id, captcha_type, provider_account, upstream_task_id, status, error_code, source, created_at, submitted_at, ready_at, ended_at, thread_ms, cost_micros, price_micros, settled_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'api', ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  let n = 0
  db.exec('BEGIN')
  for (const r of rows) {
    const solved = (r.status ?? 'solved') === 'solved'
    ins.run(
      r.id,
      r.tenantId,
      r.type,
      r.account ?? 'sandbox:acct',
      r.taskId !== undefined ? r.taskId : `9${r.id.replace(/\D/g, '').padStart(9, '0')}`,
      solved ? 'solved' : 'failed',
      solved ? null : 'ERROR_CAPTCHA_UNSOLVABLE',
      r.endedAt - (r.threadMs ?? 5_000),
      r.endedAt - (r.threadMs ?? 5_000),
      solved ? r.endedAt : null,
      r.endedAt,
      r.threadMs ?? 5_000,
      solved ? (r.cost ?? 1_000) : 0,
      solved ? (r.price ?? 1_500) : 0,
      r.settledAt ?? r.endedAt,
    )
    n++
  }
  db.exec('COMMIT')
  return n
}
