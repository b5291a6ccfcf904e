/** A new vault passphrase typed twice; with `guide`, its strength (in the hint and a bar) and whether the two match. */
import { useState } from 'react'
import { newPassphraseProblem, PASSPHRASE_MIN_LENGTH, passphraseStrength } from '@shared/passphrase'
import { PassphraseField } from './form-fields'

/** A new passphrase and its repetition, as typed; `problems` says what is wrong (`differ` when they differ). */
export function usePassphrasePair() {
  const [value, setValue] = useState('')
  const [again, setAgain] = useState('')
  return {
    value,
    again,
    setValue,
    setAgain,
    clear() {
      setValue('')
      setAgain('')
    },
    problems(differ: string): { value?: string; again?: string } {
      const problem = newPassphraseProblem(value)
      if (problem) return { value: problem }
      return value === again ? {} : { again: differ }
    },
  }
}

export function NewPassphraseFields({
  ids,
  labels,
  pair,
  errors,
  guide = false,
}: {
  ids: { value: string; again: string }
  labels: { value: string; again: string }
  pair: ReturnType<typeof usePassphrasePair>
  errors: { value?: string | null; again?: string | null }
  /** First run: the strength and the match are shown, and the first field takes focus. */
  guide?: boolean
}) {
  const { value, again } = pair
  const strength = passphraseStrength(value)
  return (
    <>
      <PassphraseField
        fresh
        id={ids.value}
        label={labels.value}
        hint={
          guide
            ? `At least ${PASSPHRASE_MIN_LENGTH} characters; a few unrelated words work well. Strength: ${strength.label}.`
            : undefined
        }
        error={errors.value}
        value={value}
        onChange={pair.setValue}
        autoFocus={guide}
      />
      {guide ? (
        <div className={`strength s${strength.score}`} aria-hidden="true">
          {[0, 1, 2, 3].map((i) => (
            <span key={i} className={i < strength.score ? 'on' : ''} />
          ))}
        </div>
      ) : null}
      <PassphraseField
        fresh
        id={ids.again}
        label={labels.again}
        error={errors.again}
        hint={guide && again && again === value ? 'The two match.' : undefined}
        value={again}
        onChange={pair.setAgain}
      />
    </>
  )
}
