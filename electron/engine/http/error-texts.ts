/**
 * The `error_text` of in.php/res.php JSON error replies (2captcha adds one; clients show it to people), shared by the
 * Sandbox and the gateway. Texts speak to the caller and never repeat what the caller sent.
 */
const ERROR_TEXTS: Record<string, string> = {
  ERROR_WRONG_USER_KEY: 'The key must be 32 characters long.',
  ERROR_KEY_DOES_NOT_EXIST: 'The key does not exist, or the account has no threads.',
  ERROR_ZERO_BALANCE: 'You do not have free threads.',
  ERROR_NO_SLOT_AVAILABLE: 'All threads are busy; try again later.',
  ERROR_PAGEURL: 'pageurl is missing or invalid.',
  ERROR_GOOGLEKEY: 'The site key is missing.',
  ERROR_BAD_PARAMETERS: 'Required parameters are missing or malformed.',
  ERROR_BAD_PROXY: 'The proxy is malformed or marked bad; use another one.',
  ERROR_PROXY_CONNECTION_FAILED: 'The page could not be loaded through the proxy.',
  ERROR_ZERO_CAPTCHA_FILESIZE: 'The image is smaller than 100 bytes.',
  ERROR_TOO_BIG_CAPTCHA_FILESIZE: 'The image is larger than 100 kB.',
  ERROR_IMAGE_TYPE_NOT_SUPPORTED: 'Only jpg, png and gif images are accepted.',
  ERROR_UPLOAD: 'The image could not be read.',
  ERROR_SERVER_ERROR: 'Server error; try again in a few seconds.',
  IP_BANNED: 'Too many requests with bad keys from this address; lifted after 5 minutes.',
  ERROR_CAPTCHA_UNSOLVABLE: 'The captcha could not be solved.',
  ERROR_WRONG_ID_FORMAT: 'The task id must be numeric.',
  ERROR_WRONG_CAPTCHA_ID: 'Unknown task id.',
  ERROR_EMPTY_ACTION: 'action is missing.',
  ERROR_REPORT_NOT_RECORDED: 'The report was not recorded.',
  ERROR_DUPLICATE_REPORT: 'This task was already reported.',
  ERROR_METHOD_CALL: 'This method is not supported.',
}

/** The error's text, or undefined for codes without one (CAPCHA_NOT_READY is not an error). */
export function errorText(code: string): string | undefined {
  return Object.hasOwn(ERROR_TEXTS, code) ? ERROR_TEXTS[code] : undefined
}
