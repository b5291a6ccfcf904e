/** Upstream balances: check now, and the history of checks. */
import { useEffect, useMemo } from 'react'
import { ErrorNote, Progress, Screen, formatTime, upstreamMoney } from '../components/ui'
import { useBalances } from '../stores/balances'
import { EmptyRow, TableHead } from '../components/table'
import { BalanceCard } from '../components/balance-card'

export function Balances() {
  const { history, loaded, checking, error, load, checkNow } = useBalances()
  useEffect(() => {
    void load()
  }, [load])
  const latest = useMemo(() => {
    const seen = new Map<string, (typeof history)[number]>()
    for (const c of history) if (!seen.has(c.account)) seen.set(c.account, c)
    return [...seen.values()]
  }, [history])
  return (
    <Screen
      title="Balances"
      intro="The upstream accounts’ balances, checked on a schedule (Settings) and whenever you ask."
      actions={
        <button className="primary" disabled={checking} onClick={() => void checkNow()}>
          {checking ? 'Checking…' : 'Check now'}
        </button>
      }
    >
      <ErrorNote text={error} />
      {checking ? <Progress label="Asking the upstream for each account’s balance…" /> : null}
      {latest.length > 0 ? (
        <div className="cards">
          {latest.map((c) => (
            <BalanceCard key={c.account} check={c} checked="last checked" />
          ))}
        </div>
      ) : null}
      <table className="grid" data-testid="balance-table">
        <caption>History</caption>
        <TableHead columns={['Checked', 'Account', 'Balance (USD)', 'Outcome']} />
        <tbody>
          {history.length === 0 ? (
            <EmptyRow columns={4}>
              {loaded ? 'No checks yet. Press “Check now” to ask the upstream.' : 'Loading…'}
            </EmptyRow>
          ) : null}
          {history.map((r, i) => (
            <tr key={`${r.account}-${r.checkedAt}-${i}`}>
              <td>{formatTime(r.checkedAt)}</td>
              <th scope="row">{r.label}</th>
              <td className="num">{upstreamMoney(r.balanceMicros)}</td>
              <td>{r.errorCode ? <span className="bad-text">{r.errorCode}</span> : 'ok'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Screen>
  )
}
