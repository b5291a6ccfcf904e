/** One upstream account's last balance check as a stat card (Dashboard, Balances). */
import type { Micros } from '@shared/money'
import { formatTime, upstreamMoney } from './ui'

interface BalanceCheck {
  label: string
  balanceMicros: Micros | null
  errorCode: string | null
  checkedAt: number
}

/** `checked` words the time: "checked" on the Dashboard, "last checked" beside the history. */
export function BalanceCard({ check, checked }: { check: BalanceCheck; checked: string }) {
  return (
    <div className="card stat">
      <h2>{check.label}</h2>
      <p className="big">
        {check.errorCode ? (
          <span className="bad-text">
            Check failed <span className="code">{check.errorCode}</span>
          </span>
        ) : (
          upstreamMoney(check.balanceMicros)
        )}
      </p>
      <small className="muted">
        {checked} {formatTime(check.checkedAt)}
      </small>
    </div>
  )
}
