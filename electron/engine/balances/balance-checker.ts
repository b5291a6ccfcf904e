/**
 * getbalance for the platform key and every tenant key, on demand and on a schedule (default every 15 minutes,
 * injectable timers, never two runs at once: a tick or a click during a run joins that run). Each result is stored
 * with its time; a failure is stored as an error code only (never the key, never the upstream message), and one
 * key's failure never stops the others. A successful check feeds the low-balance alert (threshold per account).
 */
import type { Micros } from '@shared/money'
import type { AlertEngine } from '../alerts/alert-engine'
import type { Database } from '../db/database'
import { migrate, type Migration } from '../db/migrations'
import { ProviderError, type ProviderClient } from '../provider'

export interface BalanceKey {
  /** `${provider}:${fingerprint}` — never the key itself. */
  account: string
  label: string
  apiKey: string
}

/**
 * Where the keys come from (the vault). Either shape: `accounts()` (all keys), or `platform()` + `tenants()`.
 * Keys stay inside this process.
 */
export type BalanceKeySource =
  | { accounts(): BalanceKey[] }
  | { platform(): BalanceKey | undefined; tenants(): Array<BalanceKey & { tenantId: string }> }

export interface BalanceCheck {
  account: string
  label: string
  checkedAt: number
  balanceMicros: Micros | null
  errorCode: string | null
}

export interface BalanceChecker {
  /** Checks every key now (or joins the run in progress). */
  checkNow(): Promise<BalanceCheck[]>
  history(account?: string, limit?: number): BalanceCheck[]
  latest(): BalanceCheck[]
  /** Starts (or restarts) the schedule. Default every 15 minutes. */
  start(intervalMs?: number): void
  stop(): void
  readonly running: boolean
}

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

export const DEFAULT_BALANCE_INTERVAL_MS = 15 * 60_000
const DEFAULT_LOW_BALANCE_MICROS: Micros = 1_000_000

const realTimers: Timers = {
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms)
    t.unref()
    return t
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
}

/**
 * The balances component's table (component "balances"). IF NOT EXISTS: databases from before this component owned
 * it got it from billing's first migration.
 */
const BALANCE_MIGRATIONS: ReadonlyArray<Migration> = [
  (db) =>
    db.exec(`CREATE TABLE IF NOT EXISTS balance_checks (
      id             INTEGER PRIMARY KEY AUTOINCREMENT,
      account        TEXT NOT NULL,
      label          TEXT NOT NULL,
      checked_at     INTEGER NOT NULL,
      balance_micros INTEGER,
      error_code     TEXT
    ) STRICT;
    CREATE INDEX IF NOT EXISTS balance_checks_account ON balance_checks (account, checked_at);`),
]

function keysOf(source: BalanceKeySource): BalanceKey[] {
  if ('accounts' in source) return source.accounts()
  const p = source.platform()
  return [...(p ? [p] : []), ...source.tenants()]
}

export function createBalanceChecker(deps: {
  db: Database
  provider: () => ProviderClient
  keys: BalanceKeySource
  alerts?: AlertEngine
  /** Low-balance threshold per account (default 1.00). */
  lowBalanceMicros?: (account: string) => Micros | undefined
  now?: () => number
  timers?: Timers
  /** Per-key request deadline (default 20 s). */
  timeoutMs?: number
}): BalanceChecker {
  const now = deps.now ?? Date.now
  const timers = deps.timers ?? realTimers
  migrate(deps.db, 'balances', BALANCE_MIGRATIONS)
  const insert = deps.db.prepare(
    'INSERT INTO balance_checks (account, label, checked_at, balance_micros, error_code) VALUES (?, ?, ?, ?, ?)',
  )
  let handle: unknown
  let inFlight: Promise<BalanceCheck[]> | undefined
  const toCheck = (r: Record<string, unknown>): BalanceCheck => ({
    account: String(r.account),
    label: String(r.label),
    checkedAt: Number(r.checked_at),
    balanceMicros: r.balance_micros === null ? null : Number(r.balance_micros),
    errorCode: (r.error_code as string | null) ?? null,
  })

  async function run(): Promise<BalanceCheck[]> {
    let keys: BalanceKey[]
    try {
      keys = keysOf(deps.keys)
    } catch {
      return [] // the vault is locked or unreadable: nothing to check now
    }
    const out: BalanceCheck[] = []
    for (const k of keys) {
      let balance: Micros | null = null
      let code: string | null = null
      try {
        balance = await deps.provider().getBalance(k.apiKey, {
          signal: AbortSignal.timeout(deps.timeoutMs ?? 20_000),
        })
        if (!Number.isSafeInteger(balance)) throw new Error('not a whole number of micros')
      } catch (err) {
        balance = null
        code = err instanceof ProviderError && /^[A-Z0-9_]{1,64}$/.test(err.code) ? err.code : 'CHECK_FAILED'
      }
      const check: BalanceCheck = {
        account: k.account,
        label: k.label,
        checkedAt: now(),
        balanceMicros: balance,
        errorCode: code,
      }
      insert.run(check.account, check.label, check.checkedAt, check.balanceMicros, check.errorCode)
      if (balance !== null)
        deps.alerts?.evaluateBalance(
          k.account,
          k.label,
          balance,
          deps.lowBalanceMicros?.(k.account) ?? DEFAULT_LOW_BALANCE_MICROS,
        )
      out.push(check)
    }
    return out
  }

  const checker: BalanceChecker = {
    checkNow() {
      inFlight ??= run().finally(() => (inFlight = undefined))
      return inFlight
    },
    history(account, limit = 200) {
      const lim = Math.min(1000, Math.max(1, Math.floor(Number.isFinite(limit) ? limit : 200)))
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
    start(intervalMs = DEFAULT_BALANCE_INTERVAL_MS) {
      if (!Number.isFinite(intervalMs) || intervalMs < 1_000)
        throw new RangeError('balance check interval must be at least 1 s')
      checker.stop()
      handle = timers.setInterval(() => void checker.checkNow().catch(() => undefined), intervalMs)
    },
    stop() {
      if (handle !== undefined) timers.clearInterval(handle)
      handle = undefined
    },
    get running() {
      return inFlight !== undefined
    },
  }
  return checker
}
