/** A tenant's keys: its own upstream key (checked before saving) and its gateway key (handed over with snippets). */
import { useState, type FormEvent } from 'react'
import type { OutputOf } from '@shared/ipc-contract'
import type { Tenant } from '@shared/tenant'
import { parseWholeNumber } from '@shared/typed-numbers'
import { call } from '../../api/client'
import { confirm, ConfirmButton } from '../../components/confirm'
import { TextField } from '../../components/form-fields'
import { UpstreamKeyForm, upstreamKeyProblem, useKeyEntry } from '../../components/upstream-key'
import { ErrorNote, formatTime, upstreamMoney } from '../../components/ui'
import { attempt } from '../../stores/outcome'
import { useSession } from '../../stores/session'
import { useTenants } from '../../stores/tenants'
import { GatewayHandover } from './gateway-handover'

type KeyCheck = OutputOf<'vault.checkTenantKey'>

function checkText(c: KeyCheck): string {
  if (c.errorCode) return `The provider refused a balance call with this key (${c.errorCode}).`
  return `Balance call answered: ${upstreamMoney(c.balanceMicros)} on this key.`
}

export function UpstreamKeyCard({ tenant }: { tenant: Tenant }) {
  const keyInfo = useTenants((s) => s.keys.get(tenant.id))
  const { setKey, removeKey } = useTenants()
  const entry = useKeyEntry(keyInfo?.label ?? `${tenant.name} key`)
  const { key, label } = entry
  const [error, setError] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const [check, setCheck] = useState<KeyCheck | null>(null)
  async function save(e: FormEvent) {
    e.preventDefault()
    const problem = upstreamKeyProblem(key)
    if (problem) {
      setError({ key: problem })
      document.getElementById('t-apikey')?.focus()
      return
    }
    setBusy(true)
    setError({})
    const trimmed = key.trim()
    // Checked before saving: a duplicate of the platform key or another tenant's, and a balance call.
    const checked = await attempt(() => call('vault.checkTenantKey', { tenantId: tenant.id, key: trimmed }))
    if (!checked.ok) {
      setBusy(false)
      setError({ ...checked.fields, form: checked.message })
      return
    }
    setCheck(checked.value)
    const same = checked.value.sameAs
    if (same) {
      const what = same.kind === 'platform' ? 'the platform key' : `the key of tenant “${same.name}”`
      const go = await confirm({
        title: 'This key is already in use',
        body: `This is ${what}. Saving it here merges the two accounts: the same upstream balance and threads, shown as one account under Balances and on the Dashboard. Save it anyway?`,
        confirmLabel: 'Save anyway',
        danger: true,
      })
      if (!go) {
        setBusy(false)
        return
      }
    }
    const r = await setKey(tenant.id, trimmed, label.trim())
    setBusy(false)
    if (r.ok) {
      entry.setKey('')
      setError({})
    } else setError({ ...r.fields, form: r.message })
  }
  return (
    <section className="card" aria-labelledby="own-key-title">
      <h2 id="own-key-title">Tenant’s own upstream key</h2>
      <UpstreamKeyForm
        stored={keyInfo}
        testId="tenant-key"
        emptyText={
          tenant.keyMode === 'own'
            ? 'Not set: this tenant’s solves are refused until a key is saved.'
            : 'Not set (not needed while the tenant uses the shared platform key).'
        }
        onSubmit={save}
        ids={{ label: 't-keylabel', key: 't-apikey' }}
        entry={entry}
        error={error.key}
        hint="Stored encrypted; never shown again in full."
      >
        <ErrorNote text={error.form} />
        {check ? (
          <div
            className={`note ${check.errorCode || check.sameAs ? 'warn' : 'ok'}`}
            role="status"
            data-testid="key-check"
          >
            {check.sameAs
              ? `Warning: this key is ${check.sameAs.kind === 'platform' ? 'the platform key' : `also the key of “${check.sameAs.name}”`}. `
              : ''}
            {checkText(check)}
          </div>
        ) : null}
        <div className="actions">
          <button type="submit" disabled={busy || key.trim().length === 0}>
            {busy ? 'Checking…' : keyInfo ? 'Check and rotate key' : 'Check and save key'}
          </button>
          {keyInfo ? (
            <ConfirmButton
              type="button"
              className="danger"
              ask={{
                title: 'Remove this tenant’s key?',
                body: `The key •••• ${keyInfo.last4} is erased from the vault.${tenant.keyMode === 'own' ? ' The tenant’s solves are refused until a new key is saved.' : ''}`,
                confirmLabel: 'Remove key',
                danger: true,
              }}
              onConfirmed={() => removeKey(tenant.id)}
            >
              Remove key
            </ConfirmButton>
          ) : null}
        </div>
      </UpstreamKeyForm>
    </section>
  )
}

export function GatewayKeyCard({ tenant }: { tenant: Tenant }) {
  const info = useTenants((s) => s.gatewayKeys.get(tenant.id))
  const { issueGatewayKey, revokeGatewayKey } = useTenants()
  const [fresh, setFresh] = useState<string | null>(null)
  const [grace, setGrace] = useState('24')
  const [error, setError] = useState<string | null>(null)
  const gateway = useSession((s) => s.status?.gateway)
  async function issue() {
    const hours = parseWholeNumber(grace, 0, 720)
    if (hours === null) {
      setError('The grace period is a whole number of hours from 0 to 720.')
      return
    }
    const r = await issueGatewayKey(tenant.id, hours)
    if (r.ok) {
      setFresh(r.value)
      setError(null)
    } else setError(r.message)
  }
  return (
    <section className="card" aria-labelledby="gw-key-title">
      <h2 id="gw-key-title">Gateway key</h2>
      <p>The key this tenant puts into their 2captcha-compatible client when calling your gateway.</p>
      {info ? (
        <p data-testid="gateway-key-info">
          Current: <span className="mono">•••• {info.last4}</span>, issued {formatTime(info.createdAt)}
          {info.expiresAt ? `, expires ${formatTime(info.expiresAt)}` : ''}
        </p>
      ) : (
        <p className="muted">No gateway key issued yet.</p>
      )}
      {fresh ? (
        <GatewayHandover
          tenantName={tenant.name}
          gatewayKey={fresh}
          url={gateway?.url ?? null}
          serving={gateway?.running ?? false}
          onClose={() => setFresh(null)}
        />
      ) : null}
      <TextField
        id="t-grace"
        label="Keep the previous key working for (hours)"
        inputMode="numeric"
        value={grace}
        onChange={setGrace}
      />
      <ErrorNote text={error} />
      <div className="actions">
        <button onClick={() => void issue()}>{info ? 'Issue a new gateway key' : 'Issue gateway key'}</button>
        {info ? (
          <ConfirmButton
            className="danger"
            ask={{
              title: 'Revoke the gateway keys?',
              body: 'Every gateway key of this tenant stops working at once.',
              confirmLabel: 'Revoke',
              danger: true,
            }}
            onConfirmed={async () => {
              const r = await revokeGatewayKey(tenant.id)
              if (!r.ok) setError(r.message)
              setFresh(null)
            }}
          >
            Revoke
          </ConfirmButton>
        ) : null}
      </div>
    </section>
  )
}
