/**
 * Every upstream code classified as retry / fail the task / stop using the key (captchaai-protocol.md §3).
 * Where providers differ (ERROR_ZERO_BALANCE), the profile decides.
 */
import type { ProviderProfile } from '@shared/provider'
import type { ErrorAction } from './types'

export interface Classification {
  action: ErrorAction
  /** Base back-off before the next try (real-time ms; scaled by the Sandbox's speed). */
  backoffMs?: number
  /** At most this many retries of this code per submit (ERROR_SERVER_ERROR can mean "unsupported"). */
  maxRetries?: number
  /** For stop_key: when the key may be tried again. */
  liftsAfterMs?: number
  message: string
}

const STOP: Record<string, string> = {
  ERROR_WRONG_USER_KEY: 'The upstream key is malformed (not 32 characters). Fix the key in the vault.',
  ERROR_KEY_DOES_NOT_EXIST:
    'The upstream rejected the key: it does not exist or the plan has no threads (expired). Check the account.',
  ERROR_IP_NOT_ALLOWED: 'This machine’s address is not on the account’s allow-list.',
}

const FAIL: Record<string, string> = {
  ERROR_PAGEURL: 'pageurl is missing or invalid.',
  ERROR_GOOGLEKEY: 'The site key is missing or malformed.',
  ERROR_WRONG_GOOGLEKEY: 'The site key is malformed.',
  ERROR_BAD_TOKEN_OR_PAGEURL: 'The site key and pageurl do not belong together.',
  ERROR_BAD_PARAMETERS: 'Required parameters are missing or malformed.',
  ERROR_BAD_PROXY: 'The proxy is marked bad; use another one.',
  ERROR_ZERO_CAPTCHA_FILESIZE: 'The image is too small.',
  ERROR_TOO_BIG_CAPTCHA_FILESIZE: 'The image is too large.',
  ERROR_WRONG_FILE_EXTENSION: 'The image type is not accepted.',
  ERROR_IMAGE_TYPE_NOT_SUPPORTED: 'The image type is not accepted.',
  ERROR_UPLOAD: 'The image could not be read.',
  ERROR_DOMAIN_NOT_ALLOWED: 'The upstream refuses this domain.',
  ERROR_CAPTCHAIMAGE_BLOCKED: 'The image was marked unrecognisable.',
  TOO_MANY_BAD_IMAGES: 'Too many unrecognisable images.',
  ERROR_CAPTCHA_UNSOLVABLE: 'The upstream’s workers could not solve it (not billed).',
  ERROR_WRONG_ID_FORMAT: 'The task id is malformed.',
  ERROR_WRONG_CAPTCHA_ID: 'The upstream does not know this task (unknown or expired).',
  ERROR_BAD_DUPLICATES: 'The upstream could not reach agreement on the answer.',
  ERROR_EMPTY_ACTION: 'The request had no action.',
  ERROR_TOKEN_EXPIRED: 'The GeeTest challenge expired; fetch a new one.',
  ERROR_PROXY_CONNECTION_FAILED: 'The upstream could not load the page through the proxy.',
}

export function classifyCode(
  code: string,
  profile: Pick<ProviderProfile, 'zeroBalanceMeansNoThreads'>,
): Classification {
  if (code in STOP) return { action: 'stop_key', message: STOP[code]! }
  if (code === 'IP_BANNED')
    return {
      action: 'stop_key',
      liftsAfterMs: 5 * 60_000,
      message:
        'The upstream banned this address after requests with bad keys; it lifts after 5 minutes. Repair the key first.',
    }
  if (code === 'ERROR_ZERO_BALANCE')
    return profile.zeroBalanceMeansNoThreads
      ? {
          action: 'retry',
          backoffMs: 5_000,
          message: 'All of the plan’s threads are busy (CaptchaAI’s ERROR_ZERO_BALANCE).',
        }
      : { action: 'stop_key', message: 'The upstream account has no money left. Top it up.' }
  if (code === 'ERROR_NO_SLOT_AVAILABLE')
    return { action: 'retry', backoffMs: 3_000, message: 'All upstream threads are busy.' }
  if (code === 'ERROR_SERVER_ERROR' || code === 'ERROR_INTERNAL_SERVER_ERROR')
    return {
      action: 'retry',
      backoffMs: 10_000,
      maxRetries: 3,
      message: 'The upstream had a server error (or does not support this method).',
    }
  if (code === 'MAX_USER_TURN' || code === 'ERROR_TOO_MUCH_REQUESTS' || code === 'HTTP_429')
    return { action: 'retry', backoffMs: 10_000, message: 'The upstream asks us to slow down.' }
  if (
    code.startsWith('HTTP_') ||
    code === 'NETWORK_ERROR' ||
    code === 'BAD_REPLY' ||
    code === 'REQUEST_TIMEOUT'
  )
    return {
      action: 'retry',
      backoffMs: 2_000,
      maxRetries: 8,
      message: 'The upstream did not answer properly.',
    }
  if (code in FAIL) return { action: 'fail_task', message: FAIL[code]! }
  // An unknown code: fail this task rather than retry blindly or condemn the key.
  return { action: 'fail_task', message: `The upstream answered ${code}.` }
}

/** Every code we accept from an upstream; anything else becomes UNKNOWN_UPSTREAM_CODE (see sanitizeUpstreamCode). */
const KNOWN_CODES: ReadonlySet<string> = new Set([
  ...Object.keys(STOP),
  ...Object.keys(FAIL),
  'IP_BANNED',
  'MAX_USER_TURN',
  'CAPCHA_NOT_READY',
  'CAPTCHA_NOT_READY',
  'ERROR_ZERO_BALANCE',
  'ERROR_NO_SLOT_AVAILABLE',
  'ERROR_SERVER_ERROR',
  'ERROR_INTERNAL_SERVER_ERROR',
  'ERROR_TOO_MUCH_REQUESTS',
  'ERROR_DUPLICATE_REPORT',
  'ERROR_REPORT_NOT_RECORDED',
  'OK_REPORT_RECORDED',
  'ERROR_NO_SUCH_CAPCHA_ID',
  'ERROR_PROXY_CONNECT_REFUSED',
  'ERROR_RECAPTCHA_INVALID_SITEKEY',
  'ERROR_TASK_ABSENT',
  'ERROR_TASK_NOT_SUPPORTED',
  'ERROR_CODE',
])

/** What an unexpected upstream error text becomes: the text itself is never stored, logged or passed on. */
const UNKNOWN_UPSTREAM_CODE = 'ERROR_UNKNOWN_UPSTREAM'

/**
 * Upstream error text is hostile input: an upstream once answered `ERROR_BAD_PARAMETERS <the key it received>`.
 * Only a known code survives (a known code followed by other text keeps just the code); anything else maps to
 * UNKNOWN_UPSTREAM_CODE. Our own transport codes (HTTP_nnn, NETWORK_ERROR…) never come from upstream text.
 */
export function sanitizeUpstreamCode(text: string): string {
  const trimmed = text.trim()
  if (KNOWN_CODES.has(trimmed)) return trimmed
  const head = /^[A-Z][A-Z0-9_]{1,63}/.exec(trimmed.slice(0, 64))?.[0]
  if (head !== undefined && KNOWN_CODES.has(head) && !/^[A-Z0-9_]/.test(trimmed.slice(head.length)))
    return head
  return UNKNOWN_UPSTREAM_CODE
}

export function isNotReady(code: string): boolean {
  return code === 'CAPCHA_NOT_READY' || code === 'CAPTCHA_NOT_READY'
}

/**
 * Whether a piece of a batch reply (or a pingback's code) is a protocol code rather than an answer: anything that
 * starts like one (an upstream may append text to a code; see sanitizeUpstreamCode for what is kept).
 */
export function looksLikeCode(text: string): boolean {
  return /^(ERROR_|IP_BANNED|MAX_USER_TURN)/.test(text)
}
