/** A price list: one amount per captcha type, each in its own decimal field. */
import type { ReactNode } from 'react'
import { CAPTCHA_TYPES, CAPTCHA_TYPE_LABELS, type CaptchaType } from '@shared/captcha'
import { TextField } from './form-fields'

/** Field ids are `${idPrefix}${type}`; errors are read from `${path}.${type}` (the contract's field paths). */
export function PriceListFields({
  idPrefix,
  path,
  label,
  hint,
  errors,
  value,
  onChange,
}: {
  idPrefix: string
  path: string
  label(typeLabel: string): string
  hint?(type: CaptchaType): ReactNode
  errors: Record<string, string>
  value: Record<CaptchaType, string>
  onChange(prices: Record<CaptchaType, string>): void
}) {
  return CAPTCHA_TYPES.map((c) => (
    <TextField
      key={c}
      id={`${idPrefix}${c}`}
      label={label(CAPTCHA_TYPE_LABELS[c])}
      error={errors[`${path}.${c}`]}
      hint={hint?.(c)}
      inputMode="decimal"
      value={value[c]}
      onChange={(v) => onChange({ ...value, [c]: v })}
    />
  ))
}
