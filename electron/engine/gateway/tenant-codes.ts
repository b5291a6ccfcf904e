/** The codes a tenant sees for its tasks: shared by the v1 protocol, the JSON API and the callbacks both send. */

/** Upstream refusals of the task itself that the tenant should see as they are (its input was wrong). */
export const INPUT_CODES =
  /^ERROR_(PAGEURL|GOOGLEKEY|WRONG_GOOGLEKEY|BAD_|ZERO_CAPTCHA|TOO_BIG|IMAGE|WRONG_FILE|UPLOAD)/

/** What a tenant sees for a task that ended without an answer (the ledger's codes are ours, not the protocol's). */
export function tenantCode(code: string | null): string {
  if (!code) return 'ERROR_CAPTCHA_UNSOLVABLE'
  if (INPUT_CODES.test(code) || code === 'ERROR_CAPTCHA_UNSOLVABLE' || code === 'ERROR_BAD_DUPLICATES')
    return code
  if (code === 'ERROR_PROXY_CONNECTION_FAILED' || code === 'ERROR_BAD_PROXY') return code
  return 'ERROR_CAPTCHA_UNSOLVABLE'
}
