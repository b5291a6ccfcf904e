import type { Micros } from './money'

/** The captcha types CaptchaDesk meters and prices. Enterprise / invisible are options of the reCAPTCHA types. */
export const CAPTCHA_TYPES = [
  'image',
  'recaptcha_v2',
  'recaptcha_v3',
  'turnstile',
  'geetest',
  'geetest_v4',
  'cloudflare_challenge',
  'bls',
] as const
export type CaptchaType = (typeof CAPTCHA_TYPES)[number]

/** Types added after the first release: price lists saved before them take their default price. */
export const CAPTCHA_TYPES_ADDED_LATER: ReadonlySet<CaptchaType> = new Set([
  'geetest_v4',
  'cloudflare_challenge',
  'bls',
])

export const CAPTCHA_TYPE_LABELS: Record<CaptchaType, string> = {
  image: 'Image',
  recaptcha_v2: 'reCAPTCHA v2',
  recaptcha_v3: 'reCAPTCHA v3',
  turnstile: 'Cloudflare Turnstile',
  geetest: 'GeeTest v3',
  geetest_v4: 'GeeTest v4',
  cloudflare_challenge: 'Cloudflare challenge page',
  bls: 'BLS grid',
}

/**
 * Per type, two separate lists (USD, in micros): what the operator pays the upstream per solve until Settings say
 * otherwise (2captcha's public per-solve list; the ledger's cost column and re-pricing a period in cost allocation),
 * and what a new unit-price tenant is billed per solve until the operator edits its plan. Separate columns: changing
 * what the upstream charges must not silently change what tenants are billed.
 */
const DEFAULT_PRICES: Readonly<Record<CaptchaType, readonly [cost: Micros, tenantPrice: Micros]>> = {
  image: [1_000, 1_000],
  recaptcha_v2: [3_000, 3_000],
  recaptcha_v3: [4_000, 4_000],
  turnstile: [2_000, 2_000],
  geetest: [3_000, 3_000],
  geetest_v4: [3_000, 3_000],
  cloudflare_challenge: [3_000, 3_000],
  bls: [1_000, 1_500],
}

const priceColumn = (column: 0 | 1): Readonly<Record<CaptchaType, Micros>> =>
  Object.fromEntries(
    Object.entries(DEFAULT_PRICES).map(([type, prices]) => [type, prices[column]]),
  ) as Record<CaptchaType, Micros>

/** What the operator pays the upstream per solve until Settings say otherwise (see DEFAULT_PRICES). */
export const DEFAULT_COST_PRICES = priceColumn(0)

/** What a new unit-price tenant is billed per solve until the operator edits its plan (see DEFAULT_PRICES). */
export const DEFAULT_TENANT_PRICES = priceColumn(1)

/** Proxy kinds the upstream accepts with `proxy` (user:pass@host:port or host:port). */
export const PROXY_TYPES = ['HTTP', 'HTTPS', 'SOCKS4', 'SOCKS5'] as const
export type ProxyType = (typeof PROXY_TYPES)[number]

/** What a caller asks to be solved: typed per captcha type. Validated by `captchaRequestSchema` (shared/captcha-schema.ts). */
export type CaptchaRequest =
  | {
      type: 'image'
      /** base64 of a jpg/png/gif, without a data: prefix */
      body: string
      phrase?: boolean
      caseSensitive?: boolean
      numeric?: 0 | 1 | 2 | 3 | 4
      calc?: boolean
      minLength?: number
      maxLength?: number
      textInstructions?: string
    }
  | {
      type: 'recaptcha_v2'
      googlekey: string
      pageurl: string
      invisible?: boolean
      enterprise?: boolean
      dataS?: string
      userAgent?: string
      cookies?: string
      proxy?: string
      proxytype?: ProxyType
    }
  | {
      type: 'recaptcha_v3'
      googlekey: string
      pageurl: string
      action?: string
      minScore?: number
      enterprise?: boolean
      proxy?: string
      proxytype?: ProxyType
    }
  | {
      type: 'turnstile'
      sitekey: string
      pageurl: string
      action?: string
      data?: string
      proxy?: string
      proxytype?: ProxyType
    }
  | {
      type: 'geetest'
      gt: string
      challenge: string
      pageurl: string
      apiServer?: string
      proxy?: string
      proxytype?: ProxyType
    }
  | {
      /** GeeTest v4: in.php method=geetest with version=4 and captcha_id. */
      type: 'geetest_v4'
      captchaId: string
      pageurl: string
      apiServer?: string
      proxy?: string
      proxytype?: ProxyType
    }
  | {
      /** A Cloudflare challenge page ("checking your browser"): the answer is a cf_clearance cookie bound to the proxy. */
      type: 'cloudflare_challenge'
      pageurl: string
      proxy: string
      proxytype: ProxyType
      userAgent?: string
    }
  | {
      /** BLS grid: pick the tiles showing the number in `instructions`; the answer lists their 1-based indexes. */
      type: 'bls'
      instructions: string
      /** base64 of each tile (jpg/png/gif, no data: prefix), in grid order; 1 to 9 tiles. */
      images: string[]
    }
