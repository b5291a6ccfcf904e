/** The tenant form's text fields, and their conversion to the contract's input with per-field messages. */
import { CAPTCHA_TYPES, DEFAULT_TENANT_PRICES, type CaptchaType } from '@shared/captcha'
import type { InputOf } from '@shared/ipc-contract'
import { formatMoney } from '@shared/money'
import { DEFAULT_ALERT_PERCENTS, type Tenant } from '@shared/tenant'
import { canonicalTimeZone, timeZoneProblem, zoneForAlias } from '@shared/time-zones'
import { parseWholeNumber, parseMoneyInput } from '@shared/typed-numbers'

/** A limit as typed ("1,000" too): a whole number from 1 to 999,999,999, or null. */
export function parseLimit(text: string): number | null {
  return parseWholeNumber(text.replaceAll(',', ''), 1, 999_999_999)
}

export interface TenantDraft {
  name: string
  timezone: string
  keyMode: 'own' | 'shared'
  rpm: string
  daily: string
  concurrent: string
  budget: string
  weight: string
  planKind: 'unit' | 'markup'
  prices: Record<CaptchaType, string>
  markupPercent: string
  minimum: string
  alertPercents: string
  notes: string
}

/** Micros as an editable decimal: at least 2 decimals, no trailing zeros beyond. */
export function moneyInput(micros: number): string {
  return formatMoney(micros, 6).replace(/(\.\d\d\d*?)0+$/, '$1')
}

/** The browser's zone as the list spells it ("UTC" on a UTC machine, "Asia/Kolkata" for "Asia/Calcutta"). */
function localZone(): string {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  return canonicalTimeZone(own) ?? zoneForAlias(own) ?? 'UTC'
}

export function draftOf(t: Tenant | null): TenantDraft {
  const unit = t?.pricePlan.kind === 'unit' ? t.pricePlan.prices : DEFAULT_TENANT_PRICES
  const opt = (n: number | undefined) => (n === undefined ? '' : String(n))
  return {
    name: t?.name ?? '',
    timezone: t?.timezone ?? localZone(),
    keyMode: t?.keyMode ?? 'shared',
    rpm: opt(t?.limits.requestsPerMinute),
    daily: opt(t?.limits.solvesPerDay),
    concurrent: opt(t?.limits.maxConcurrent),
    budget: t?.limits.monthlyBudgetMicros !== undefined ? moneyInput(t.limits.monthlyBudgetMicros) : '',
    weight: String(t?.shareWeight ?? 1),
    planKind: t?.pricePlan.kind ?? 'unit',
    prices: Object.fromEntries(
      CAPTCHA_TYPES.map((c) => [c, moneyInput(unit[c] ?? DEFAULT_TENANT_PRICES[c])]),
    ) as Record<CaptchaType, string>,
    markupPercent: t?.pricePlan.kind === 'markup' ? bpsToPercent(t.pricePlan.markupBps) : '50',
    minimum:
      t?.pricePlan.monthlyMinimumMicros !== undefined ? moneyInput(t.pricePlan.monthlyMinimumMicros) : '',
    alertPercents: (t?.alertThresholds.percents ?? DEFAULT_ALERT_PERCENTS).join(', '),
    notes: t?.notes ?? '',
  }
}

function bpsToPercent(bps: number): string {
  const whole = Math.floor(bps / 100)
  const frac = bps % 100
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(2, '0').replace(/0$/, '')}`
}

/** "12.5" → 1250 basis points, without floating point. */
function percentToBps(text: string): number | null {
  const m = /^(\d{1,6})(?:\.(\d{1,2}))?$/.exec(text.trim())
  if (!m) return null
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
}

export type TenantInput = InputOf<'tenants.create'>
export interface DraftResult {
  input: TenantInput | null
  /** Contract field path → message (the same paths the engine reports). */
  errors: Record<string, string>
}

export function toTenantInput(d: TenantDraft): DraftResult {
  const errors: Record<string, string> = {}
  const whole = (path: string, text: string, what: string): number | undefined => {
    if (text.trim() === '') return undefined
    const n = parseLimit(text)
    if (n === null)
      errors[path] = `Enter a whole number of ${what} (at least 1), or leave it empty for no limit.`
    return n ?? undefined
  }
  const amount = (path: string, text: string, optional: boolean): number | undefined => {
    if (text.trim() === '') {
      if (!optional) errors[path] = 'Enter an amount, e.g. 0.002.'
      return undefined
    }
    const micros = parseMoneyInput(text)
    if (micros === null) errors[path] = 'Enter an amount with at most 6 decimals, e.g. 0.002.'
    return micros ?? undefined
  }
  const name = d.name.trim()
  if (!name) errors.name = 'Give the tenant a name (it appears on invoices).'
  const timezone = d.timezone.trim()
  const zoneProblem = timeZoneProblem(timezone)
  if (zoneProblem) errors.timezone = `${zoneProblem.charAt(0).toUpperCase()}${zoneProblem.slice(1)}.`
  const zone = canonicalTimeZone(timezone) ?? timezone
  const limits = {
    requestsPerMinute: whole('limits.requestsPerMinute', d.rpm, 'requests'),
    solvesPerDay: whole('limits.solvesPerDay', d.daily, 'solves'),
    maxConcurrent: whole('limits.maxConcurrent', d.concurrent, 'solves'),
    monthlyBudgetMicros: amount('limits.monthlyBudgetMicros', d.budget, true),
  }
  const shareWeight = parseWholeNumber(d.weight, 1, 1000)
  if (shareWeight === null) errors.shareWeight = 'Enter a whole number from 1 to 1000.'
  const monthlyMinimumMicros = amount('pricePlan.monthlyMinimumMicros', d.minimum, true)
  let pricePlan: TenantInput['pricePlan']
  if (d.planKind === 'unit') {
    const prices = {} as Record<CaptchaType, number>
    for (const c of CAPTCHA_TYPES) prices[c] = amount(`pricePlan.prices.${c}`, d.prices[c], false) ?? 0
    pricePlan = { kind: 'unit', prices, monthlyMinimumMicros }
  } else {
    const bps = percentToBps(d.markupPercent)
    if (bps === null) errors['pricePlan.markupBps'] = 'Enter a percentage, e.g. 50 or 12.5.'
    pricePlan = { kind: 'markup', markupBps: bps ?? 0, monthlyMinimumMicros }
  }
  const percents = d.alertPercents
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((p) => Number(p))
  if (
    percents.length === 0 ||
    percents.some((p) => !Number.isInteger(p) || p < 1 || p > 100) ||
    percents.some((p, i) => i > 0 && p <= percents[i - 1]!)
  )
    errors['alertThresholds.percents'] = 'List whole percentages from 1 to 100, ascending, e.g. 80, 95, 100.'
  if (d.notes.length > 2000) errors.notes = 'Keep the notes under 2,000 characters.'
  if (Object.keys(errors).length) return { input: null, errors }
  return {
    input: {
      name,
      timezone: zone,
      keyMode: d.keyMode,
      limits,
      pricePlan,
      shareWeight: shareWeight!,
      alertThresholds: { percents },
      notes: d.notes,
    },
    errors,
  }
}

/** Contract field path → the id of the control that edits it (for focusing the first error). */
export function controlIdOf(path: string): string {
  const map: Record<string, string> = {
    name: 't-name',
    timezone: 't-tz',
    keyMode: 't-keymode-shared',
    'limits.requestsPerMinute': 't-rpm',
    'limits.solvesPerDay': 't-daily',
    'limits.maxConcurrent': 't-conc',
    'limits.monthlyBudgetMicros': 't-budget',
    shareWeight: 't-weight',
    'pricePlan.markupBps': 't-markup',
    'pricePlan.monthlyMinimumMicros': 't-min',
    'alertThresholds.percents': 't-alerts',
    notes: 't-notes',
  }
  if (path.startsWith('pricePlan.prices.')) return `price-${path.slice('pricePlan.prices.'.length)}`
  return map[path] ?? 't-name'
}
