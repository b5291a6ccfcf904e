/** zod schema for CaptchaRequest: validated before anything is sent upstream, reused by the IPC contract and the gateway. */
import { z } from 'zod'
import { PROXY_TYPES, type CaptchaRequest } from './captcha'

const url = z
  .string()
  .trim()
  .max(2048, 'pageurl is longer than 2048 characters')
  .refine(
    (v) => /^https?:\/\/[^\s/$.?#][^\s]*$/i.test(v),
    'pageurl must be an http(s) URL, e.g. https://example.com/login',
  )
const siteKey = (name: string) =>
  z
    .string()
    .trim()
    .min(1, `${name} is required`)
    .max(200, `${name} is longer than 200 characters`)
    .regex(/^[A-Za-z0-9_-]+$/, `${name} may contain only letters, digits, - and _`)
/** user:pass@host:port or host:port. Messages never repeat the value: it may carry the proxy's password. */
const proxy = z
  .string()
  .trim()
  .max(500, 'proxy is longer than 500 characters')
  .regex(
    /^([^:@\s]+:[^@\s]+@)?[A-Za-z0-9.-]+:\d{1,5}$/,
    'proxy must look like user:pass@host:port or host:port',
  )
  .refine((v) => {
    const port = Number(v.slice(v.lastIndexOf(':') + 1))
    return port >= 1 && port <= 65_535
  }, 'the proxy port is between 1 and 65535')
const proxytype = z.enum(PROXY_TYPES, { message: 'proxytype is one of HTTP, HTTPS, SOCKS4, SOCKS5' })
const proxyPair = (r: { proxy?: unknown; proxytype?: unknown }): boolean =>
  (r.proxy === undefined) === (r.proxytype === undefined)
const PROXY_PAIR = { message: 'proxy and proxytype go together', path: ['proxytype'] }
/** A request with an optional proxy (proxy and proxytype both or neither) after its own fields; nothing else. */
const withOptionalProxy = <S extends z.ZodRawShape>(shape: S) =>
  z
    .object({ ...shape, proxy: proxy.optional(), proxytype: proxytype.optional() })
    .strict()
    .refine(proxyPair, PROXY_PAIR)
const shortText = (max: number) => z.string().max(max, `at most ${max} characters`)

const MIN_IMAGE_BYTES = 100
const MAX_IMAGE_BYTES = 100 * 1024

function decodedLength(b64: string): number {
  const clean = b64.replace(/[\r\n]/g, '')
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0
  return Math.floor((clean.length * 3) / 4) - padding
}

const imageBase64 = (name: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/\r\n]+={0,2}$/, `${name} must be base64 (no data: prefix)`)
    .refine((b) => decodedLength(b) >= MIN_IMAGE_BYTES, 'the image is smaller than 100 bytes')
    .refine((b) => decodedLength(b) <= MAX_IMAGE_BYTES, 'the image is larger than 100 kB')

const imageRequestSchema = z
  .object({
    type: z.literal('image'),
    body: imageBase64('body'),
    phrase: z.boolean().optional(),
    caseSensitive: z.boolean().optional(),
    numeric: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).optional(),
    calc: z.boolean().optional(),
    minLength: z.number().int().min(1).max(20).optional(),
    maxLength: z.number().int().min(1).max(20).optional(),
    textInstructions: shortText(140).optional(),
  })
  .strict()
  .refine((r) => r.minLength === undefined || r.maxLength === undefined || r.minLength <= r.maxLength, {
    message: 'minLength must not exceed maxLength',
    path: ['minLength'],
  })

const recaptchaV2RequestSchema = withOptionalProxy({
  type: z.literal('recaptcha_v2'),
  googlekey: siteKey('googlekey'),
  pageurl: url,
  invisible: z.boolean().optional(),
  enterprise: z.boolean().optional(),
  dataS: shortText(4096).optional(),
  userAgent: shortText(512).optional(),
  cookies: shortText(4096).optional(),
})

const recaptchaV3RequestSchema = withOptionalProxy({
  type: z.literal('recaptcha_v3'),
  googlekey: siteKey('googlekey'),
  pageurl: url,
  action: shortText(100)
    .regex(/^[A-Za-z0-9_/]*$/, 'action may contain only letters, digits, _ and /')
    .optional(),
  minScore: z
    .number()
    .min(0.1, 'minScore is between 0.1 and 0.9')
    .max(0.9, 'minScore is between 0.1 and 0.9')
    .optional(),
  enterprise: z.boolean().optional(),
})

const turnstileRequestSchema = withOptionalProxy({
  type: z.literal('turnstile'),
  sitekey: siteKey('sitekey'),
  pageurl: url,
  action: shortText(100).optional(),
  data: shortText(4096).optional(),
})

const apiServer = z
  .string()
  .trim()
  .max(200)
  .regex(/^[A-Za-z0-9.-]+$/, 'apiServer is a host name, e.g. api-na.geetest.com')

const geetestRequestSchema = withOptionalProxy({
  type: z.literal('geetest'),
  gt: siteKey('gt'),
  challenge: siteKey('challenge'),
  pageurl: url,
  apiServer: apiServer.optional(),
})

const geetestV4RequestSchema = withOptionalProxy({
  type: z.literal('geetest_v4'),
  captchaId: siteKey('captchaId'),
  pageurl: url,
  apiServer: apiServer.optional(),
})

/** The answer (cf_clearance) is bound to the IP it was earned from, so the proxy is required. */
const cloudflareChallengeRequestSchema = z
  .object({
    type: z.literal('cloudflare_challenge'),
    pageurl: url,
    proxy: z.string({ message: 'proxy is required for a Cloudflare challenge' }).pipe(proxy),
    proxytype,
    userAgent: shortText(512).optional(),
  })
  .strict()

const blsRequestSchema = z
  .object({
    type: z.literal('bls'),
    instructions: z
      .string()
      .trim()
      .min(1, 'instructions is required (the number to look for)')
      .max(100, 'instructions is longer than 100 characters'),
    images: z.array(imageBase64('each image')).min(1, 'at least one image').max(9, 'at most 9 images'),
  })
  .strict()

export const captchaRequestSchema: z.ZodType<CaptchaRequest> = z.discriminatedUnion('type', [
  imageRequestSchema,
  recaptchaV2RequestSchema,
  recaptchaV3RequestSchema,
  turnstileRequestSchema,
  geetestRequestSchema,
  geetestV4RequestSchema,
  cloudflareChallengeRequestSchema,
  blsRequestSchema,
]) as unknown as z.ZodType<CaptchaRequest>

const validated = new WeakSet<object>()

/**
 * `captchaRequestSchema.safeParse`, once per request: what this returned (frozen, so it cannot change afterwards)
 * passes as it is when the same request is checked again further down one solve — the gateway parses it, the solve
 * service and the provider client each check what they are given. Anything else is parsed in full.
 */
export function parseCaptchaRequest(input: unknown): ReturnType<typeof captchaRequestSchema.safeParse> {
  if (typeof input === 'object' && input !== null && validated.has(input))
    return { success: true, data: input as CaptchaRequest }
  const parsed = captchaRequestSchema.safeParse(input)
  if (parsed.success) {
    // Frozen with its arrays (grid images), the only nested values a request has.
    for (const v of Object.values(parsed.data)) if (Array.isArray(v)) Object.freeze(v)
    validated.add(Object.freeze(parsed.data))
  }
  return parsed
}

/** Human-readable summary of the first problems, naming the fields. */
export function describeIssues(error: z.ZodError, max = 3): string {
  return error.issues
    .slice(0, max)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}
