/** One entry point for both transports: validate input against the contract, run the handler, wrap the envelope. */
import { contract, isChannel, type ApiError, type Envelope } from '@shared/ipc-contract'
import { describeIssues } from '@shared/captcha-schema'
import { ConflictError, NotFoundError, ValidationError } from '../errors/engine-errors'
import { ProviderError } from '../provider'
import {
  VaultError,
  VaultLockedError,
  VaultRollbackError,
  VaultThrottledError,
  WrongPassphraseError,
} from '../vault'
import { newErrorId, type Logger } from '../log/logger'
import type { Handlers } from './handlers'

/** Replies are checked against the contract in tests and development (cheap, but not free on hot paths). */
const CHECK_OUTPUTS =
  process.env.VITEST !== undefined ||
  process.env.CAPTCHADESK_CHECK_CONTRACT === '1' ||
  process.env.NODE_ENV === 'development'

/** Maps an engine error to its reply; anything unexpected is logged (redacted) under an id the reply carries. */
export function toApiError(err: unknown, log?: Logger, channel?: string): ApiError {
  if (err instanceof ValidationError)
    return { code: 'VALIDATION', message: err.message, fields: err.fields, field: err.fields[0]?.field }
  if (err instanceof NotFoundError || (err instanceof Error && err.name === 'NotFoundError'))
    return { code: 'NOT_FOUND', message: err.message }
  if (err instanceof ConflictError) return { code: 'CONFLICT', message: err.message }
  if (err instanceof VaultLockedError) return { code: 'VAULT_LOCKED', message: err.message }
  if (err instanceof WrongPassphraseError) return { code: 'WRONG_PASSPHRASE', message: err.message }
  if (err instanceof VaultThrottledError)
    return { code: 'THROTTLED', message: err.message, retryAfterMs: err.retryAfterMs }
  // Its own code: the console offers to open the older copy when it was restored on purpose.
  if (err instanceof VaultRollbackError) return { code: 'VAULT_ROLLBACK', message: err.message }
  if (err instanceof VaultError) return { code: 'VAULT', message: err.message }
  if (err instanceof ProviderError)
    return { code: err.code, message: err.message, retryAfterMs: err.retryAfterMs }
  if (err instanceof RangeError) return { code: 'BAD_INPUT', message: err.message }
  const errorId = newErrorId()
  log?.error({ errorId, channel, err }, 'internal error')
  return {
    code: 'INTERNAL',
    message: `Something went wrong inside CaptchaDesk; nothing was changed. Try again; if it happens again, error ${errorId} is in the log (logs/ in the data folder).`,
    errorId,
  }
}

export async function dispatch(
  handlers: Handlers,
  channel: unknown,
  input: unknown,
  log?: Logger,
): Promise<Envelope<unknown>> {
  if (!isChannel(channel))
    return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: 'There is no such action.' } }
  const parsed = contract[channel].input.safeParse(input ?? {})
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => ({
      field: i.path.join('.') || '(input)',
      message: i.message,
    }))
    return {
      ok: false,
      error: {
        code: 'VALIDATION',
        message: `Invalid input: ${describeIssues(parsed.error)}`,
        fields,
        field: fields[0]?.field,
      },
    }
  }
  try {
    const value = await (handlers[channel] as (i: unknown) => Promise<unknown>)(parsed.data)
    if (CHECK_OUTPUTS) {
      const out = contract[channel].output.safeParse(value)
      if (!out.success) {
        log?.error({ channel, issues: describeIssues(out.error) }, 'a reply broke the contract')
        return {
          ok: false,
          error: {
            code: 'CONTRACT',
            message: `The ${channel} reply broke the contract: ${describeIssues(out.error)}`,
          },
        }
      }
    }
    return { ok: true, value }
  } catch (err) {
    return { ok: false, error: toApiError(err, log, channel) }
  }
}
