/**
 * The one money format for people (every screen, the PDF invoice, alerts): Intl.NumberFormat for the currency, so
 * the symbol and grouping follow the locale. Totals show two decimals; unit prices show two to six, as many as the
 * amount needs. The number handed to Intl is the exact decimal string from formatMoney (never micros / 1e6 as a
 * float), so what is shown is what the CSV says, rounded half away from zero like formatMoney.
 */
import { formatMoney, type Micros } from './money'

export type MoneyStyle = 'total' | 'unit'

const cache = new Map<string, Intl.NumberFormat>()

function formatter(currency: string, locale: string | undefined, style: MoneyStyle): Intl.NumberFormat {
  const key = `${locale ?? ''}|${currency}|${style}`
  let f = cache.get(key)
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        minimumFractionDigits: 2,
        maximumFractionDigits: style === 'total' ? 2 : 6,
      })
    } catch {
      // An unknown currency code: show the code itself rather than fail.
      f = new Intl.NumberFormat(locale, {
        minimumFractionDigits: 2,
        maximumFractionDigits: style === 'total' ? 2 : 6,
      })
    }
    cache.set(key, f)
  }
  return f
}

/** "$1,234.56" for a total, "$0.0028" for a unit price (en-US); exact, never through a float. */
export function formatMoneyDisplay(
  micros: Micros,
  currency: string,
  options: { style?: MoneyStyle; locale?: string } = {},
): string {
  const style = options.style ?? 'total'
  const exact = formatMoney(micros, style === 'total' ? 2 : 6)
  const f = formatter(currency, options.locale, style)
  // Intl.NumberFormat formats a decimal string exactly (ES2023); the type still says number.
  return f.format(exact as unknown as number)
}
