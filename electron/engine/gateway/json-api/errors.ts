/**
 * The JSON task API's error replies: `{errorId, errorCode, errorDescription}` with anti-captcha's numbering (clients
 * test `errorId > 0` or `!== 0` and branch on errorCode). Descriptions never repeat what the caller sent.
 */
export interface JsonErrorReply {
  errorId: number
  errorCode: string
  errorDescription: string
  /** CapSolver echoes the task id on task errors. */
  taskId?: string | number
}

const ERRORS: Record<string, [number, string]> = {
  ERROR_KEY_DOES_NOT_EXIST: [1, 'The client key does not exist, or the account is suspended.'],
  ERROR_NO_SLOT_AVAILABLE: [
    2,
    'No free capacity right now (a rate, concurrency or thread limit); retry in a few seconds.',
  ],
  ERROR_ZERO_CAPTCHA_FILESIZE: [3, 'The image is smaller than 100 bytes.'],
  ERROR_TOO_BIG_CAPTCHA_FILESIZE: [4, 'The image is larger than 100 kB.'],
  ERROR_ZERO_BALANCE: [10, 'The daily limit or the monthly budget is used up.'],
  ERROR_IP_NOT_ALLOWED: [11, 'Requests from this address are not allowed.'],
  ERROR_CAPTCHA_UNSOLVABLE: [12, 'The captcha could not be solved; it was not billed.'],
  ERROR_NO_SUCH_METHOD: [14, 'No such API method.'],
  ERROR_IMAGE_TYPE_NOT_SUPPORTED: [15, 'Only jpg, png and gif images are accepted.'],
  ERROR_NO_SUCH_CAPCHA_ID: [16, 'No task with this id (unknown, another key’s, or expired).'],
  ERROR_IP_BLOCKED: [21, 'Too many requests with bad keys from this address; lifted after 5 minutes.'],
  ERROR_TASK_ABSENT: [22, 'The task object is missing or is not an object.'],
  ERROR_TASK_NOT_SUPPORTED: [23, 'This task type is not supported.'],
  ERROR_INCORRECT_SESSION_DATA: [24, 'A required task field is missing or malformed.'],
  ERROR_PROXY_CONNECT_REFUSED: [25, 'The page could not be loaded through the proxy.'],
  ERROR_PROXY_INCORRECT: [26, 'The proxy fields are missing or malformed.'],
  ERROR_RECAPTCHA_INVALID_SITEKEY: [31, 'The site key is missing or malformed.'],
  ERROR_RECAPTCHA_INVALID_DOMAIN: [32, 'The page URL is missing or not an http(s) URL.'],
  ERROR_TOKEN_EXPIRED: [34, 'The challenge expired; fetch a new one.'],
  ERROR_REPORT_NOT_RECORDED: [
    40,
    'The report was not recorded (unknown task, not solved, or already reported).',
  ],
  ERROR_BAD_REQUEST: [50, 'The request body is not a JSON object.'],
  ERROR_SERVICE_UNAVAILABLE: [55, 'The service is not available right now; retry in a few seconds.'],
}

export function jsonError(
  code: string,
  extra: { description?: string; taskId?: string | number } = {},
): JsonErrorReply {
  const known = Object.hasOwn(ERRORS, code) ? ERRORS[code]! : undefined
  const reply: JsonErrorReply = {
    errorId: known?.[0] ?? 1,
    errorCode: code,
    errorDescription: extra.description ?? known?.[1] ?? 'The request failed.',
  }
  if (extra.taskId !== undefined) reply.taskId = extra.taskId
  return reply
}

/** in.php/res.php codes (what the gateway core and the upstream speak) → the JSON API's codes. */
const FROM_V1: Record<string, string> = {
  ERROR_WRONG_USER_KEY: 'ERROR_KEY_DOES_NOT_EXIST',
  ERROR_KEY_DOES_NOT_EXIST: 'ERROR_KEY_DOES_NOT_EXIST',
  ERROR_NO_SLOT_AVAILABLE: 'ERROR_NO_SLOT_AVAILABLE',
  ERROR_ZERO_BALANCE: 'ERROR_ZERO_BALANCE',
  IP_BANNED: 'ERROR_IP_BLOCKED',
  ERROR_GOOGLEKEY: 'ERROR_RECAPTCHA_INVALID_SITEKEY',
  ERROR_WRONG_GOOGLEKEY: 'ERROR_RECAPTCHA_INVALID_SITEKEY',
  ERROR_PAGEURL: 'ERROR_RECAPTCHA_INVALID_DOMAIN',
  ERROR_BAD_TOKEN_OR_PAGEURL: 'ERROR_RECAPTCHA_INVALID_DOMAIN',
  ERROR_BAD_PROXY: 'ERROR_PROXY_INCORRECT',
  ERROR_PROXY_CONNECTION_FAILED: 'ERROR_PROXY_CONNECT_REFUSED',
  ERROR_ZERO_CAPTCHA_FILESIZE: 'ERROR_ZERO_CAPTCHA_FILESIZE',
  ERROR_TOO_BIG_CAPTCHA_FILESIZE: 'ERROR_TOO_BIG_CAPTCHA_FILESIZE',
  ERROR_IMAGE_TYPE_NOT_SUPPORTED: 'ERROR_IMAGE_TYPE_NOT_SUPPORTED',
  ERROR_WRONG_FILE_EXTENSION: 'ERROR_IMAGE_TYPE_NOT_SUPPORTED',
  ERROR_UPLOAD: 'ERROR_IMAGE_TYPE_NOT_SUPPORTED',
  ERROR_BAD_PARAMETERS: 'ERROR_INCORRECT_SESSION_DATA',
  ERROR_CAPTCHA_UNSOLVABLE: 'ERROR_CAPTCHA_UNSOLVABLE',
  ERROR_TOKEN_EXPIRED: 'ERROR_TOKEN_EXPIRED',
  ERROR_WRONG_CAPTCHA_ID: 'ERROR_NO_SUCH_CAPCHA_ID',
  ERROR_WRONG_ID_FORMAT: 'ERROR_NO_SUCH_CAPCHA_ID',
  ERROR_SERVER_ERROR: 'ERROR_SERVICE_UNAVAILABLE',
  ERROR_REPORT_NOT_RECORDED: 'ERROR_REPORT_NOT_RECORDED',
  ERROR_DUPLICATE_REPORT: 'ERROR_REPORT_NOT_RECORDED',
}

export function jsonCodeOf(v1Code: string): string {
  return Object.hasOwn(FROM_V1, v1Code) ? FROM_V1[v1Code]! : 'ERROR_CAPTCHA_UNSOLVABLE'
}
