/** The invoice builder's small helpers (split out of invoice-builder.ts). */
import { createHash } from 'node:crypto'
import { CAPTCHA_TYPE_LABELS, type CaptchaType } from '@shared/captcha'
import type { SolvedSlice } from '../ledger/types'
import { parseMonth } from '../time/zoned'
import type { Invoice, Segment } from './invoice-builder'
import { withTerms } from './invoice-terms'

export const MIN = Number.MIN_SAFE_INTEGER
export const MAX = Number.MAX_SAFE_INTEGER

export function label(t: CaptchaType): string {
  return CAPTCHA_TYPE_LABELS[t] ?? t
}

/** The ledger slice of a segment: its bounds as two half-open ranges (ended, recorded). */
export function sliceOf(tenantId: string, s: Segment): SolvedSlice {
  return {
    tenantId,
    endedFrom: s.endedFrom,
    endedTo: s.endedTo,
    settledFrom: Math.max(s.settledAfter === MIN ? MIN : s.settledAfter + 1, s.settledFrom),
    settledTo: Math.min(s.settledTo, s.upTo === MAX ? MAX : s.upTo + 1),
    // A month's own usage is narrowed by end time; late usage by record time.
    selective: s.kind === 'usage' ? 'ended' : 'settled',
  }
}

export function previousMonth(month: string): string {
  const [y, m] = parseMonth(month)
  return m === 1
    ? `${String(y - 1).padStart(4, '0')}-12`
    : `${String(y).padStart(4, '0')}-${String(m - 1).padStart(2, '0')}`
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export function verified(json: string, hash: string, tenantId: string, month: string): Invoice {
  if (sha256(json) !== hash)
    throw new Error(
      `Stored invoice ${tenantId} ${month} does not match its content hash; the database was altered.`,
    )
  return withTerms(JSON.parse(json) as Invoice)
}
