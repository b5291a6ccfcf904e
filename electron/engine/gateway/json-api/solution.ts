/**
 * An answer as the upstream gives it (a string) → the JSON API's `solution` in each type's documented shape:
 * reCAPTCHA `gRecaptchaResponse` (and `token`, as 2captcha v2 also sends), Turnstile `token`, image `text`, GeeTest v3
 * `challenge/validate/seccode`, GeeTest v4 `captcha_id/lot_number/pass_token/gen_time/captcha_output`, Cloudflare
 * challenge `cookies.cf_clearance` + `userAgent` + `token`. Answers are parsed defensively: an upstream that sends a
 * different form still yields a solution.
 */
import type { CaptchaType } from '@shared/captcha'

function parseObject(answer: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(answer)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    // `challenge:…;validate:…;seccode:…` or a similar key/value text form
    const pairs = [...answer.matchAll(/([a-z_]+)\s*[:=]\s*([^;,|\s]+)/gi)]
    return pairs.length ? Object.fromEntries(pairs.map((m) => [m[1]!, m[2]!])) : undefined
  }
}

const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v)

export function solutionFor(type: CaptchaType, answer: string): Record<string, unknown> {
  switch (type) {
    case 'recaptcha_v2':
    case 'recaptcha_v3':
      return { gRecaptchaResponse: answer, token: answer }
    case 'turnstile':
      return { token: answer }
    case 'image':
      return { text: answer }
    case 'geetest': {
      const o = parseObject(answer) ?? {}
      return {
        challenge: text(o.geetest_challenge ?? o.challenge),
        validate: text(o.geetest_validate ?? o.validate),
        seccode: text(o.geetest_seccode ?? o.seccode),
      }
    }
    case 'geetest_v4': {
      const o = parseObject(answer) ?? {}
      return {
        captcha_id: text(o.captcha_id),
        lot_number: text(o.lot_number),
        pass_token: text(o.pass_token),
        gen_time: text(o.gen_time),
        captcha_output: text(o.captcha_output),
      }
    }
    case 'cloudflare_challenge': {
      const o = parseObject(answer)
      const cookies =
        o && typeof o.cookies === 'object' && o.cookies !== null ? (o.cookies as Record<string, unknown>) : {}
      const clearance = text(cookies.cf_clearance ?? o?.cf_clearance ?? (o ? '' : answer))
      return { cookies: { cf_clearance: clearance }, token: clearance, userAgent: text(o?.userAgent) }
    }
    case 'bls': {
      let picked: unknown
      try {
        picked = JSON.parse(answer)
      } catch {
        picked = answer
          .split(/[^\d]+/)
          .filter(Boolean)
          .map(Number)
      }
      return { answer: picked }
    }
  }
}
