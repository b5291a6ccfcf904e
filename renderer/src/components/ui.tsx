import { useEffect, useRef, type ReactNode } from 'react'
import { formatMoney } from '@shared/money'

export function money(micros: number | null | undefined, decimals = 2): string {
  return micros === null || micros === undefined ? '—' : formatMoney(micros, decimals)
}

export function ErrorNote({ text }: { text: string | null | undefined }) {
  if (!text) return null
  return (
    <div role="alert" className="error-note">
      {text}
    </div>
  )
}

export function Meter({
  value,
  max,
  label,
  format = String,
}: {
  value: number
  max: number | undefined
  label: string
  format?: (n: number) => string
}) {
  if (max === undefined) return <span className="muted">{format(value)} (no limit)</span>
  const pct = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 100
  const tone = pct >= 100 ? 'bad' : pct >= 80 ? 'warn' : 'ok'
  return (
    <div
      className="meter"
      role="meter"
      aria-label={label}
      aria-valuenow={value}
      aria-valuemin={0}
      aria-valuemax={max}
    >
      <div className={`meter-bar ${tone}`} style={{ width: `${pct}%` }} />
      <span className="meter-text">
        {format(value)} / {format(max)} ({pct} %)
      </span>
    </div>
  )
}

export function Screen({
  title,
  children,
  actions,
}: {
  title: string
  children: ReactNode
  actions?: ReactNode
}) {
  const ref = useRef<HTMLHeadingElement>(null)
  useEffect(() => ref.current?.focus(), [title])
  return (
    <section className="screen" aria-labelledby="screen-title">
      <header className="screen-head">
        <h1 id="screen-title" tabIndex={-1} ref={ref}>
          {title}
        </h1>
        <div className="actions">{actions}</div>
      </header>
      {children}
    </section>
  )
}

export function Field({
  label,
  hint,
  children,
  id,
}: {
  label: string
  hint?: string
  children: ReactNode
  id: string
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? <small className="muted">{hint}</small> : null}
    </div>
  )
}
