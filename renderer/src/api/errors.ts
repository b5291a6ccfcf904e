/** Turning envelope errors into words for the operator: what happened, and what to do about it. */
import type { ApiError } from '@shared/ipc-contract'
import { formatDuration } from '@shared/human-time'

/** A failed call: the envelope's error, with code, message, fields and retry time. */
export class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message)
    this.name = 'ApiFailure'
  }
}

/** What to do next, by error code, when the engine's message does not already say it. */
const HINTS: Record<string, string> = {
  OFFLINE: 'Check that CaptchaDesk is still running (in a terminal: `npm run serve`), then try again.',
  VALIDATION: 'Correct the marked fields and try again.',
  BAD_INPUT: 'Correct the input and try again.',
  NOT_FOUND: 'It may have been deleted meanwhile: reload the list and try again.',
  CONFLICT: 'Reload and try again.',
  WRONG_PASSPHRASE: 'Check the passphrase (is Caps Lock on?) and try again.',
  CONTRACT: 'This is a bug in CaptchaDesk: nothing was changed on screen. Please report it.',
  HTTP_413: 'The request is too large.',
  ERROR_WRONG_USER_KEY: 'Check the upstream API key (Settings → Platform key, or the tenant’s own key).',
  ERROR_KEY_DOES_NOT_EXIST: 'Check the upstream API key (Settings → Platform key, or the tenant’s own key).',
  ERROR_ZERO_BALANCE: 'Top up the upstream account, or wait until threads are free.',
  ERROR_NO_SLOT_AVAILABLE: 'The upstream has no free threads right now: try again in a moment.',
  ERROR_IP_NOT_ALLOWED: 'Allow this computer’s address in the upstream account’s settings.',
  IP_BANNED: 'The upstream banned this address for a while after too many errors: wait, then try again.',
}

export interface DescribedError {
  code: string
  /** What happened (the engine's message). */
  message: string
  /** What to do, when there is more to say. */
  hint: string | null
  /** Field path (without a leading "patch.") → message. */
  fields: Record<string, string>
  retryAfterMs: number | null
}

export function describeError(err: unknown): DescribedError {
  if (err instanceof ApiFailure) {
    const e = err.error
    const fields: Record<string, string> = {}
    for (const f of e.fields ?? []) fields[f.field.replace(/^patch\./, '')] ??= f.message
    if (e.field && !e.fields?.length) fields[e.field.replace(/^patch\./, '')] = e.message
    const hint = HINTS[e.code] ?? null
    return {
      code: e.code,
      message: e.message,
      hint: hint && !e.message.includes(hint) ? hint : null,
      fields,
      retryAfterMs: e.retryAfterMs && e.retryAfterMs > 0 ? e.retryAfterMs : null,
    }
  }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'CLIENT', message, hint: null, fields: {}, retryAfterMs: null }
}

/** One sentence or two for a banner or a toast. */
export function messageOf(err: unknown): string {
  const d = describeError(err)
  const parts = [d.message]
  if (d.hint) parts.push(d.hint)
  if (d.retryAfterMs && !/(try again|resets|renews) in/i.test(d.message))
    parts.push(`Try again in ${formatDuration(d.retryAfterMs)}.`)
  return parts.join(' ')
}
