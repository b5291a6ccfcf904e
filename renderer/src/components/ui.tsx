/** The console's small design system: screen frame, fields with their errors, meters, progress, notes. */
import {
  Children,
  cloneElement,
  isValidElement,
  useEffect,
  useRef,
  useState,
  type ReactElement,
  type ReactNode,
} from 'react'
import type { Micros } from '@shared/money'
import { formatMoneyDisplay } from '@shared/money-display'
import { useCurrency } from '../stores/currency'

/**
 * Money arrives as integer micros and is shown in the one format (formatMoneyDisplay, the operator's currency):
 * totals with 2 decimals; `decimals` 6 means a unit price (2 to 6 decimals, as many as it needs).
 */
export function money(micros: Micros | null | undefined, decimals = 2): string {
  if (micros === null || micros === undefined) return '—'
  return formatMoneyDisplay(micros, useCurrency.getState().currency, {
    style: decimals > 2 ? 'unit' : 'total',
  })
}

/** Money that may be a small per-solve amount (0.002 must not show as 0.00): the unit-price style. */
export function moneyAuto(micros: Micros | null | undefined): string {
  if (micros === null || micros === undefined) return '—'
  return formatMoneyDisplay(micros, useCurrency.getState().currency, { style: 'unit' })
}

/** An upstream account's balance: the provider keeps it in US dollars, whatever the operator bills in. */
export function upstreamMoney(micros: Micros | null | undefined): string {
  if (micros === null || micros === undefined) return '—'
  return formatMoneyDisplay(micros, 'USD')
}

/** The currency code for labels ("Monthly budget (USD)"); re-renders when Settings change it. */
export function useCurrencyCode(): string {
  return useCurrency((s) => s.currency)
}

/** A banner for what went wrong (and what to do); announced to screen readers. */
export function ErrorNote({ text, id }: { text: string | null | undefined; id?: string }) {
  if (!text) return null
  return (
    <div role="alert" className="error-note" id={id}>
      {text}
    </div>
  )
}

/** A labelled form control; an error is shown under it and tied to the control (aria-invalid, aria-describedby). */
export function Field({
  label,
  hint,
  error,
  children,
  id,
  className,
}: {
  label: ReactNode
  hint?: ReactNode
  error?: string | null
  children: ReactElement<Record<string, unknown>>
  id: string
  className?: string
}) {
  const hintId = hint ? `${id}-hint` : undefined
  const errorId = error ? `${id}-error` : undefined
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined
  const child = Children.only(children)
  const control = isValidElement(child)
    ? cloneElement(child, {
        'aria-invalid': error ? true : undefined,
        'aria-describedby': describedBy,
      })
    : child
  return (
    <div className={`field${error ? ' has-error' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {control}
      {error ? (
        <small className="field-error" id={errorId}>
          {error.charAt(0).toUpperCase() + error.slice(1)}
        </small>
      ) : null}
      {hint ? (
        <small className="muted" id={hintId}>
          {hint}
        </small>
      ) : null}
    </div>
  )
}

/** A filled bar for "used against a limit"; values may be counts or micros (format says how to print them). */
export function Meter({
  value,
  max,
  label,
  format = (n: number) => n.toLocaleString('en-US'),
}: {
  value: number
  max: number | undefined
  label: string
  format?: (n: number) => string
}) {
  if (max === undefined) return <span className="muted">{format(value)} (no limit)</span>
  const pct = max > 0 ? Math.min(100, Math.floor((value * 100) / max)) : 100
  const tone = pct >= 100 ? 'bad' : pct >= 80 ? 'warn' : 'ok'
  const text = `${format(value)} / ${format(max)} (${pct} %)`
  return (
    <div
      className="meter"
      role="meter"
      aria-label={label}
      aria-valuenow={Math.min(value, max)}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuetext={text}
    >
      <div className={`meter-bar ${tone}`} style={{ width: `${pct}%` }} />
      <span className="meter-text">{text}</span>
    </div>
  )
}

/** Progress of a long action: determinate when `value`/`max` are known, otherwise an indeterminate bar. */
export function Progress({
  label,
  value,
  max,
  children,
}: {
  label: string
  value?: number
  max?: number
  children?: ReactNode
}) {
  return (
    <div className="progress-block" role="status" aria-live="polite">
      <progress aria-label={label} value={value} max={max} />
      <span>{children ?? label}</span>
    </div>
  )
}

/** The frame of every screen. Its heading takes focus when the screen opens, so keyboard users land on it. */
export function Screen({
  title,
  children,
  actions,
  intro,
}: {
  title: string
  children: ReactNode
  actions?: ReactNode
  intro?: ReactNode
}) {
  const ref = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    ref.current?.focus()
    document.title = `${title} · CaptchaDesk`
  }, [title])
  return (
    <section className="screen" aria-labelledby="screen-title">
      <header className="screen-head">
        <div>
          <h1 id="screen-title" tabIndex={-1} ref={ref}>
            {title}
          </h1>
          {intro ? <p className="muted intro">{intro}</p> : null}
        </div>
        <div className="actions">{actions}</div>
      </header>
      {children}
    </section>
  )
}

/** A titled part of a screen; `id` names its heading, which labels it. */
export function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id} className="section-title">
        {title}
      </h2>
      {children}
    </section>
  )
}

/**
 * The banner over a form with marked fields: how many, and the first one's message (the engine's whole message
 * names field paths, which the marks already show).
 */
export function fieldSummary(fields: Record<string, string>, fallback: string): string {
  const messages = Object.values(fields)
  if (messages.length === 0) return fallback
  const first = messages[0]!
  const head =
    messages.length === 1 ? 'One field needs attention' : `${messages.length} fields need attention`
  return `${head}: ${first.charAt(0).toLowerCase()}${first.slice(1).replace(/\.?$/, '.')} Correct the marked fields and try again.`
}

/**
 * A form's marked fields (contract path → message) and its banner (fieldSummary). `show` marks them and focuses the
 * first one's control (`controlOf` maps a path to its id); `clear` removes every mark.
 */
export function useFieldErrors(controlOf: (path: string) => string) {
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [summary, setSummary] = useState<string | null>(null)
  function show(fields: Record<string, string>, message: string) {
    setErrors(fields)
    setSummary(fieldSummary(fields, message))
    const first = Object.keys(fields)[0]
    if (first) document.getElementById(controlOf(first))?.focus()
  }
  function clear() {
    setErrors({})
    setSummary(null)
  }
  return { errors, summary, show, clear }
}

/** Re-renders every `ms` while `active`; returns the current time. */
export function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!active) return
    setNow(Date.now())
    const t = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(t)
  }, [active, ms])
  return now
}

/** Whole seconds left until `until` (0 when past or null). */
export function secondsLeft(until: number | null, now: number): number {
  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000))
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}
