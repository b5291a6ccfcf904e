/** One tab of a tablist: a button that says whether it is the selected one and selects itself when pressed. */
import type { ButtonHTMLAttributes } from 'react'

export function Tab({
  selected,
  onSelect,
  ...button
}: Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick' | 'role' | 'type'> & {
  selected: boolean
  onSelect(): void
}) {
  return <button type="button" role="tab" aria-selected={selected} onClick={onSelect} {...button} />
}
