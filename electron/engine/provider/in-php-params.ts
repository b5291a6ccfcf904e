/** CaptchaRequest → the in.php form fields of the 2captcha protocol, one table row per captcha type. */
import type { CaptchaRequest } from '@shared/captcha'

type CaptchaType = CaptchaRequest['type']
type RequestOf<T extends CaptchaType> = Extract<CaptchaRequest, { type: T }>
type FormValue = string | number | boolean | undefined

/**
 * One form field: its name and where its value comes from — a property of the request, or a function of it. A value
 * that is undefined or false is left out; true is sent as 1.
 */
type Field<R> = readonly [name: string, from: (keyof R & string) | ((request: R) => FormValue)]

const is = (value: string | number) => (): FormValue => value
/** base64 is sent on one line. */
const oneLine = (base64: string): string => base64.replace(/[\r\n]/g, '')
const PROXY = [
  ['proxy', 'proxy'],
  ['proxytype', 'proxytype'],
] as const

/** The fields of each type's in.php form, in the order they are sent. */
const FORMS: { readonly [T in CaptchaType]: ReadonlyArray<Field<RequestOf<T>>> } = {
  image: [
    ['method', is('base64')],
    ['body', (r) => oneLine(r.body)],
    ['phrase', 'phrase'],
    ['regsense', 'caseSensitive'],
    ['numeric', (r) => r.numeric || undefined],
    ['calc', 'calc'],
    ['min_len', 'minLength'],
    ['max_len', 'maxLength'],
    ['textinstructions', 'textInstructions'],
  ],
  recaptcha_v2: [
    ['method', is('userrecaptcha')],
    ['googlekey', 'googlekey'],
    ['pageurl', 'pageurl'],
    ['invisible', 'invisible'],
    ['enterprise', 'enterprise'],
    ['data-s', 'dataS'],
    ['userAgent', 'userAgent'],
    ['cookies', 'cookies'],
    ...PROXY,
  ],
  recaptcha_v3: [
    ['method', is('userrecaptcha')],
    ['version', is('v3')],
    ['googlekey', 'googlekey'],
    ['pageurl', 'pageurl'],
    ['action', 'action'],
    ['min_score', 'minScore'],
    ['enterprise', 'enterprise'],
    ...PROXY,
  ],
  turnstile: [
    ['method', is('turnstile')],
    ['sitekey', 'sitekey'],
    ['pageurl', 'pageurl'],
    ['action', 'action'],
    ['data', 'data'],
    ...PROXY,
  ],
  geetest: [
    ['method', is('geetest')],
    ['gt', 'gt'],
    ['challenge', 'challenge'],
    ['pageurl', 'pageurl'],
    ['api_server', 'apiServer'],
    ...PROXY,
  ],
  // CaptchaAI's form: method=geetest with version=4 (2captcha also reads it this way).
  geetest_v4: [
    ['method', is('geetest')],
    ['version', is(4)],
    ['captcha_id', 'captchaId'],
    ['pageurl', 'pageurl'],
    ['api_server', 'apiServer'],
    ...PROXY,
  ],
  cloudflare_challenge: [
    ['method', is('cloudflare_challenge')],
    ['pageurl', 'pageurl'],
    ...PROXY,
    ['userAgent', 'userAgent'],
  ],
  // The tiles follow as image_base64_1 … image_base64_n.
  bls: [
    ['method', is('bls')],
    ['instructions', 'instructions'],
  ],
}

export function inPhpParams(request: CaptchaRequest): Record<string, string> {
  if (!Object.hasOwn(FORMS, request.type))
    throw new TypeError(`No in.php form for ${(request as { type: string }).type}`)
  const fields = FORMS[request.type] as ReadonlyArray<Field<Record<string, FormValue>>>
  const p: Record<string, string> = {}
  const set = (name: string, value: FormValue): void => {
    if (value === undefined || value === false) return
    p[name] = value === true ? '1' : String(value)
  }
  const values = request as unknown as Record<string, FormValue>
  for (const [name, from] of fields) set(name, typeof from === 'function' ? from(values) : values[from])
  if (request.type === 'bls') request.images.forEach((tile, i) => set(`image_base64_${i + 1}`, oneLine(tile)))
  return p
}
