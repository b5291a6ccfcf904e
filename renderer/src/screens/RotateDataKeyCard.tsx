/** Settings card: re-encrypt every stored key under a fresh data key (after a suspected compromise). */
import { useState, type FormEvent } from 'react'
import { confirm } from '../components/confirm'
import { PassphraseField } from '../components/form-fields'
import { useSettings } from '../stores/settings'

export function RotateDataKeyCard() {
  const rotateDataKey = useSettings((s) => s.rotateDataKey)
  const [passphrase, setPassphrase] = useState('')
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault()
    if (!passphrase) return setError('Enter the current passphrase.')
    const sure = await confirm({
      title: 'Re-encrypt every key?',
      body: 'Every stored key is encrypted again under a new data key, in one step. The passphrase stays the same.',
      confirmLabel: 'Re-encrypt',
    })
    if (!sure) return
    setBusy(true)
    const r = await rotateDataKey(passphrase)
    setBusy(false)
    setError(r.ok ? undefined : r.message)
    if (r.ok) setPassphrase('')
  }
  return (
    <section className="card" aria-labelledby="rotate-title">
      <h2 id="rotate-title">Re-encrypt the keys</h2>
      <p className="muted">
        If you think the vault file and its data key may have been exposed, re-encrypt every key.
      </p>
      <form onSubmit={submit} noValidate className="stack">
        <PassphraseField
          id="st-rotate"
          label="Current passphrase"
          error={error}
          value={passphrase}
          onChange={setPassphrase}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Re-encrypting…' : 'Re-encrypt every key'}
        </button>
      </form>
    </section>
  )
}
