/**
 * getbalance for the platform key and every tenant key, on demand and on a schedule (no overlapping runs),
 * stored with the time; errors are recorded by code (never the key) and low balances raise alerts.
 */
import type { Micros } from '@shared/money'
import type { AlertEngine } from '../alerts/alert-engine'
import type { Database } from '../ledger/database'
import { ProviderError, type ProviderClient } from '../provider'

export interface BalanceKeySource {
  /** Accounts to check: the key stays inside this process; `account` is `${provider}:${fingerprint}`. */
  accounts(): Array<{ account: string; label: string; apiKey: string }>
}

export interface BalanceCheck {
  account: string
  label: string
  checkedAt: number
  balanceMicros: Micros | null
  errorCode: string | null
}

export interface BalanceChecker {
  checkNow(): Promise<BalanceCheck[]>
  history(account?: string, limit?: number): BalanceCheck[]
  latest(): BalanceCheck[]
  start(intervalMs: number): void
  stop(): void
}

export function createBalanceChecker(deps: {
  db: Database
  provider: () => ProviderClient
  keys: BalanceKeySource
  alerts?: AlertEngine
  lowBalanceMicros?: (account: string) => Micros
  now?: () => number
}): BalanceChecker {
  const now = deps.now ?? Date.now
  const insert = deps.db.prepare(
    'INSERT INTO balance_checks (account, label, checked_at, balance_micros, error_code) VALUES (?, ?, ?, ?, ?)',
  )
  let timer: NodeJS.Timeout | undefined
  let running: Promise<BalanceCheck[]> | undefined
  const toCheck = (r: Record<string, unknown>): BalanceCheck => ({
    account: String(r.account),
    label: String(r.label),
    checkedAt: Number(r.checked_at),
    balanceMicros: r.balance_micros === null ? null : Number(r.balance_micros),
    errorCode: (r.error_code as string | null) ?? null,
  })

  async function run(): Promise<BalanceCheck[]> {
    const out: BalanceCheck[] = []
    for (const a of deps.keys.accounts()) {
      let balance: Micros | null = null
      let code: string | null = null
      try {
        balance = await deps.provider().getBalance(a.apiKey, { signal: AbortSignal.timeout(20_000) })
      } catch (err) {
        code = err instanceof ProviderError ? err.code : 'CHECK_FAILED'
      }
      const check = {
        account: a.account,
        label: a.label,
        checkedAt: now(),
        balanceMicros: balance,
        errorCode: code,
      }
      insert.run(check.account, check.label, check.checkedAt, check.balanceMicros, check.errorCode)
      if (balance !== null)
        deps.alerts?.evaluateBalance(
          a.account,
          a.label,
          balance,
          deps.lowBalanceMicros?.(a.account) ?? 1_000_000,
        )
      out.push(check)
    }
    return out
  }

  return {
    checkNow() {
      running ??= run().finally(() => (running = undefined))
      return running
    },
    history(account, limit = 200) {
      const lim = Math.min(1000, Math.max(1, Math.floor(limit)))
      const rows = account
        ? deps.db
            .prepare(
              `SELECT * FROM balance_checks WHERE account = ? ORDER BY checked_at DESC, id DESC LIMIT ${lim}`,
            )
            .all(account)
        : deps.db.prepare(`SELECT * FROM balance_checks ORDER BY checked_at DESC, id DESC LIMIT ${lim}`).all()
      return (rows as Array<Record<string, unknown>>).map(toCheck)
    },
    latest() {
      const rows = deps.db
        .prepare(
          'SELECT b.* FROM balance_checks b JOIN (SELECT account, MAX(id) AS id FROM balance_checks GROUP BY account) m ON b.id = m.id ORDER BY b.account',
        )
        .all() as Array<Record<string, unknown>>
      return rows.map(toCheck)
    },
    start(intervalMs) {
      if (timer) clearInterval(timer)
      timer = setInterval(() => void this.checkNow().catch(() => undefined), intervalMs)
      timer.unref()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = undefined
    },
  }
}
