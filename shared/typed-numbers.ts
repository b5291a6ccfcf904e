/**
 * Numbers a person types into a form: whole numbers (limits, ports, hours, timeouts) and money amounts (in micros).
 * Both answer null for text that is not one, so each form words its own message.
 */
import { parseMoney, type Micros } from './money'

/** Digits only (1 to 15), between `min` and `max`; null otherwise (signs, decimals, spaces inside, blanks). */
export function parseWholeNumber(text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | null {
  const t = text.trim()
  if (!/^\d{1,15}$/.test(t)) return null
  const n = Number(t)
  return n >= min && n <= max ? n : null
}

/** An amount with at most 6 decimals, as micros; null when it is not one, or negative unless `allowNegative`. */
export function parseMoneyInput(text: string, allowNegative = false): Micros | null {
  try {
    const micros = parseMoney(text)
    return micros < 0 && !allowNegative ? null : micros
  } catch {
    return null
  }
}
