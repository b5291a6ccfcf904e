/** Settings → Vault passphrase: change it (the keys stay; only the wrapping of the data key changes). */
import { useState, type FormEvent } from 'react'
import { newPassphraseProblem } from '@shared/passphrase'
import { confirm } from '../components/confirm'
import { PassphraseField } from '../components/form-fields'
import { NewPassphraseFields } from '../components/new-passphrase'
import { ErrorNote } from '../components/ui'
import { useSettings } from '../stores/settings'

export function PassphraseCard() {
  const changePassphrase = useSettings((s) => s.changePassphrase)
  const [oldPass, setOld] = useState('')
  const [next, setNext] = useState('')
  const [again, setAgain] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault()
    const local: Record<string, string> = {}
    if (!oldPass) local.oldPassphrase = 'Enter the current passphrase.'
    const problem = newPassphraseProblem(next)
    if (problem) local.newPassphrase = problem
    else if (next !== again) local.again = 'The two new passphrases differ.'
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
    const r = await changePassphrase({ oldPassphrase: oldPass, newPassphrase: next })
    setBusy(false)
    if (r.ok) {
      setOld('')
      setNext('')
      setAgain('')
    } else setErrors({ ...r.fields, ...(r.fields.oldPassphrase ? {} : { form: r.message }) })
  }
  return (
    <section className="card" aria-labelledby="pass-title">
      <h2 id="pass-title">Vault passphrase</h2>
      <form onSubmit={submit} noValidate className="stack">
        <PassphraseField
          id="st-old"
          label="Current passphrase"
          error={errors.oldPassphrase}
          value={oldPass}
          onChange={setOld}
        />
        <NewPassphraseFields
          ids={{ value: 'st-new', again: 'st-again' }}
          labels={{ value: 'New passphrase', again: 'Repeat the new passphrase' }}
          value={next}
          again={again}
          onValue={setNext}
          onAgain={setAgain}
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
