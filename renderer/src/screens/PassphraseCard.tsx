/** Settings → Vault passphrase: change it (the keys stay; only the wrapping of the data key changes). */
import { useState, type FormEvent } from 'react'
import { confirm } from '../components/confirm'
import { CurrentPassphraseField } from '../components/form-fields'
import { NewPassphraseFields, usePassphrasePair } from '../components/new-passphrase'
import { ErrorNote } from '../components/ui'
import { useSettings } from '../stores/settings'

export function PassphraseCard() {
  const changePassphrase = useSettings((s) => s.changePassphrase)
  const [oldPass, setOld] = useState('')
  const pair = usePassphrasePair()
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault()
    const local: Record<string, string> = {}
    if (!oldPass) local.oldPassphrase = 'Enter the current passphrase.'
    const { value: newPassphrase, again } = pair.problems('The two new passphrases differ.')
    if (newPassphrase) local.newPassphrase = newPassphrase
    if (again) local.again = again
    setErrors(local)
    if (Object.keys(local).length) return
    if (
      !(await confirm({
        title: 'Change the vault passphrase?',
        body: 'From now on only the new passphrase opens the vault. The keys in it stay as they are.',
        confirmLabel: 'Change passphrase',
      }))
    )
      return
    setBusy(true)
    const r = await changePassphrase({ oldPassphrase: oldPass, newPassphrase: pair.value })
    setBusy(false)
    if (r.ok) {
      setOld('')
      pair.clear()
    } else setErrors({ ...r.fields, ...(r.fields.oldPassphrase ? {} : { form: r.message }) })
  }
  return (
    <section className="card" aria-labelledby="pass-title">
      <h2 id="pass-title">Vault passphrase</h2>
      <form onSubmit={submit} noValidate className="stack">
        <CurrentPassphraseField id="st-old" error={errors.oldPassphrase} value={oldPass} onChange={setOld} />
        <NewPassphraseFields
          ids={{ value: 'st-new', again: 'st-again' }}
          labels={{ value: 'New passphrase', again: 'Repeat the new passphrase' }}
          pair={pair}
          errors={{ value: errors.newPassphrase, again: errors.again }}
        />
        <ErrorNote text={errors.form} />
        <button type="submit" disabled={busy}>
          {busy ? 'Changing…' : 'Change passphrase'}
        </button>
      </form>
    </section>
  )
}
