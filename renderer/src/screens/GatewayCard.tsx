/** Settings → Tenant gateway: serving on or off (and why), the URL to hand over, and bad-key bans with a lift. */
import { useEffect } from 'react'
import { CopyButton } from '../components/copy-button'
import { useSettings } from '../stores/settings'
import { TableHead, unseen } from '../components/table'

export function GatewayCard() {
  const { gateway, toggleGateway, gatewayBusy, bans, loadBans, liftBan } = useSettings()
  useEffect(() => {
    void loadBans()
  }, [loadBans])
  const state = gateway?.serving ?? 'off'
  return (
    <section className="card" aria-labelledby="gw-title">
      <h2 id="gw-title">Tenant gateway</h2>
      <p data-testid="gateway-status" role="status">
        {gateway?.running ? (
          <>
            {state === 'on' ? 'Serving' : 'Listening, but cannot solve'} at <code>{gateway.url}</code>{' '}
            {gateway.allowLan ? '(local network)' : '(this computer only)'}
            {gateway.reason ? <> — {gateway.reason}.</> : null}{' '}
            {gateway.url ? <CopyButton text={gateway.url} label="Copy URL" what="gateway URL" /> : null}
          </>
        ) : (
          <>Stopped{gateway?.reason ? ` — ${gateway.reason}` : ''}.</>
        )}
      </p>
      <p className="muted small">
        Locking the console does not stop serving: the keys the gateway needs stay in this app until you stop
        it or quit.
      </p>
      <p className="muted small">{gateway ? `${gateway.keys.length} tenant gateway key(s) issued.` : ''}</p>
      <button onClick={() => void toggleGateway()} disabled={gatewayBusy}>
        {gatewayBusy ? 'Working…' : gateway?.running ? 'Stop serving' : 'Start serving'}
      </button>
      <h3>Bad-key bans</h3>
      <p className="muted small">
        An address that sends 20 unknown keys in a minute is refused for 5 minutes — only for unknown keys;
        requests with a valid key from the same address are always served.
      </p>
      {bans && bans.bans.length > 0 ? (
        <table className="table" aria-label="Bans in force">
          <TableHead columns={['Address', 'Failures', 'Keys tried', 'Until', unseen('Action')]} />
          <tbody>
            {bans.bans.map((b) => (
              <tr key={b.source}>
                <td>
                  <code>{b.source}</code>
                </td>
                <td>{b.failures}</td>
                <td>{b.distinctKeys}</td>
                <td>{new Date(b.until).toLocaleTimeString()}</td>
                <td>
                  <button onClick={() => void liftBan(b.source)}>Lift ban</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p data-testid="no-bans">No address is banned.</p>
      )}
      {bans && bans.failures.length > 0 ? (
        <table className="table" aria-label="Recent requests with unknown keys">
          <caption className="muted small">
            Recent requests with unknown keys, by address and key (a short fingerprint, never the key)
          </caption>
          <TableHead columns={['Address', 'Key fingerprint', 'Failures', 'Last']} />
          <tbody>
            {bans.failures.slice(0, 20).map((f) => (
              <tr key={`${f.source}|${f.keyFingerprint}`}>
                <td>
                  <code>{f.source}</code>
                </td>
                <td>
                  <code>{f.keyFingerprint}</code>
                </td>
                <td>{f.failures}</td>
                <td>{new Date(f.lastAt).toLocaleTimeString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <button onClick={() => void loadBans()}>Refresh bans</button>
    </section>
  )
}
