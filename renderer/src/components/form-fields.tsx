/**
 * Form controls inside a Field (label, hint, error tied to the control): one-line or long text, passphrases,
 * upstream API keys, and check boxes or radio buttons with their text.
 */
import type { ChangeEvent, InputHTMLAttributes, ReactNode, TextareaHTMLAttributes } from 'react'
import { Field } from './ui'

interface FieldFrame {
  id: string
  label: ReactNode
  hint?: ReactNode
  error?: string | null
  /** Extra classes of the field's frame (not of the control). */
  className?: string
}
interface TextValue {
  value: string
  onChange(text: string): void
}
type InputAttributes = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange' | 'className'>
type TextAreaAttributes = Omit<
  TextareaHTMLAttributes<HTMLTextAreaElement>,
  'id' | 'value' | 'onChange' | 'className'
>

/** A one-line input, or a text box when `multiline`; `onChange` gets the text. */
export function TextField({
  id,
  label,
  hint,
  error,
  className,
  value,
  onChange,
  ...control
}: FieldFrame &
  TextValue &
  ((InputAttributes & { multiline?: false }) | (TextAreaAttributes & { multiline: true }))) {
  const common = {
    id,
    value,
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => onChange(e.target.value),
  }
  return (
    <Field id={id} label={label} hint={hint} error={error} className={className}>
      {control.multiline ? (
        <textarea {...common} {...omitMultiline(control)} />
      ) : (
        <input {...common} {...omitMultiline(control)} />
      )}
    </Field>
  )
}

function omitMultiline<T extends { multiline?: boolean }>({
  multiline: _,
  ...rest
}: T): Omit<T, 'multiline'> {
  return rest
}

/** The vault passphrase, hidden; `fresh` for a new one (password managers offer to generate and save it). */
export function PassphraseField({
  fresh = false,
  ...rest
}: FieldFrame & TextValue & { fresh?: boolean; autoFocus?: boolean }) {
  return <TextField type="password" autoComplete={fresh ? 'new-password' : 'current-password'} {...rest} />
}

/** An upstream API key, hidden as it is typed, never autocompleted or spell-checked. */
export function SecretKeyField(props: FieldFrame & TextValue) {
  return <TextField type="password" autoComplete="off" spellCheck={false} {...props} />
}

/** A check box or radio button with its text beside it. */
export function Choice({
  children,
  className,
  ...input
}: Omit<InputHTMLAttributes<HTMLInputElement>, 'children'> & { children: ReactNode }) {
  return (
    <label className={className ? `radio ${className}` : 'radio'}>
      <input {...input} />
      <span>{children}</span>
    </label>
  )
}

/** Radio buttons choosing one value, each with its text; `firstId` lets a form focus the group. */
export function RadioChoices<V extends string>({
  name,
  value,
  options,
  onChange,
  firstId,
}: {
  name: string
  value: V
  options: ReadonlyArray<readonly [V, ReactNode]>
  onChange(v: V): void
  firstId?: string
}) {
  return options.map(([v, text], i) => (
    <Choice
      key={v}
      id={i === 0 ? firstId : undefined}
      type="radio"
      name={name}
      value={v}
      checked={value === v}
      onChange={() => onChange(v)}
    >
      {text}
    </Choice>
  ))
}
