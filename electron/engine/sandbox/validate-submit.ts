/**
 * in.php input checks, answering with the codes the real service uses (captchaai-protocol.md §1 and §3).
 * Returns the task's captcha type and the parameters worth recording, or the error code.
 */
import type { CaptchaType } from '@shared/captcha'

export type SubmitCheck =
  { ok: true; type: CaptchaType; recorded: Record<string, string> } | { ok: false; code: string }

const MIN_IMAGE_BYTES = 100
const MAX_IMAGE_BYTES = 100 * 1024
const RECORDED = [
  'googlekey',
  'sitekey',
  'pageurl',
  'version',
  'action',
  'min_score',
  'invisible',
  'enterprise',
  'gt',
  'challenge',
  'api_server',
  'proxytype',
  'captcha_id',
  'instructions',
  'data-s',
  'userAgent',
]

function pick(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of RECORDED) if (params[name] !== undefined) out[name] = params[name]
  // The proxy is recorded without its credentials: host:port, and whether a login came with it.
  const proxy = params.proxy
  if (proxy !== undefined) {
    const at = proxy.lastIndexOf('@')
    out.proxy = proxy.slice(at + 1)
    out.proxy_login = at >= 0 ? '1' : '0'
  }
  return out
}

const PROXY_TYPES = ['HTTP', 'HTTPS', 'SOCKS4', 'SOCKS5']

/** proxy / proxytype, when given, must be well formed (and come together); required for Cloudflare challenges. */
function checkProxy(params: Record<string, string>, required: boolean): string | null {
  const { proxy, proxytype } = params
  if (proxy === undefined && proxytype === undefined) return required ? 'ERROR_BAD_PARAMETERS' : null
  if (!present(proxy) || !present(proxytype)) return 'ERROR_BAD_PARAMETERS'
  if (!PROXY_TYPES.includes(proxytype!.toUpperCase())) return 'ERROR_BAD_PARAMETERS'
  const m = /^(?:[^:@\s]+:[^@\s]+@)?[A-Za-z0-9.-]+:(\d{1,5})$/.exec(proxy!)
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65_535) return 'ERROR_BAD_PROXY'
  return null
}

function present(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== ''
}

export function isImage(bytes: Buffer): boolean {
  if (
    bytes.length >= 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return true
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return true
  const head = bytes.subarray(0, 6).toString('latin1')
  return head === 'GIF87a' || head === 'GIF89a'
}

/** The decoded image, or the protocol's code for what is wrong with it. */
function imageBytes(body: string | undefined): Buffer | string {
  if (!present(body)) return 'ERROR_ZERO_CAPTCHA_FILESIZE'
  if (!/^[A-Za-z0-9+/=\r\n]+$/.test(body!)) return 'ERROR_UPLOAD'
  const bytes = Buffer.from(body!, 'base64')
  if (bytes.length < MIN_IMAGE_BYTES) return 'ERROR_ZERO_CAPTCHA_FILESIZE'
  if (bytes.length > MAX_IMAGE_BYTES) return 'ERROR_TOO_BIG_CAPTCHA_FILESIZE'
  if (!isImage(bytes)) return 'ERROR_IMAGE_TYPE_NOT_SUPPORTED'
  return bytes
}

function checkImage(params: Record<string, string>): SubmitCheck {
  const bytes = imageBytes(params.body)
  if (typeof bytes === 'string') return { ok: false, code: bytes }
  return { ok: true, type: 'image', recorded: { bytes: String(bytes.length) } }
}

/** BLS: instructions plus image_base64_1 … image_base64_9 (or one grid image as body). */
function checkBls(params: Record<string, string>): SubmitCheck {
  if (!present(params.instructions)) return { ok: false, code: 'ERROR_BAD_PARAMETERS' }
  const tiles: string[] = []
  for (let i = 1; i <= 9; i++) {
    const tile = params[`image_base64_${i}`]
    if (tile !== undefined) tiles.push(tile)
  }
  if (tiles.length === 0 && params.body !== undefined) tiles.push(params.body)
  if (tiles.length === 0) return { ok: false, code: 'ERROR_ZERO_CAPTCHA_FILESIZE' }
  for (const tile of tiles) {
    const bytes = imageBytes(tile)
    if (typeof bytes === 'string') return { ok: false, code: bytes }
  }
  return { ok: true, type: 'bls', recorded: { ...pick(params), images: String(tiles.length) } }
}

export function checkSubmit(params: Record<string, string>): SubmitCheck {
  const method = (params.method ?? '').toLowerCase()
  const proxyProblem = checkProxy(params, method === 'cloudflare_challenge')
  if (proxyProblem) return { ok: false, code: proxyProblem }
  switch (method) {
    case 'post':
    case 'base64':
      return checkImage(params)
    case 'userrecaptcha': {
      if (!present(params.googlekey)) return { ok: false, code: 'ERROR_GOOGLEKEY' }
      if (!present(params.pageurl)) return { ok: false, code: 'ERROR_PAGEURL' }
      if (!/^https?:\/\//i.test(params.pageurl ?? '')) return { ok: false, code: 'ERROR_PAGEURL' }
      const v3 = (params.version ?? '').toLowerCase() === 'v3'
      if (v3 && params.min_score !== undefined) {
        const s = Number(params.min_score)
        if (!Number.isFinite(s) || s < 0.1 || s > 0.9) return { ok: false, code: 'ERROR_BAD_PARAMETERS' }
      }
      return { ok: true, type: v3 ? 'recaptcha_v3' : 'recaptcha_v2', recorded: pick(params) }
    }
    case 'turnstile':
      if (!present(params.sitekey)) return { ok: false, code: 'ERROR_GOOGLEKEY' }
      if (!present(params.pageurl)) return { ok: false, code: 'ERROR_PAGEURL' }
      return { ok: true, type: 'turnstile', recorded: pick(params) }
    case 'geetest':
    case 'geetest_v4': {
      const v4 = method === 'geetest_v4' || params.version === '4'
      if (v4 ? !present(params.captcha_id) : !present(params.gt) || !present(params.challenge))
        return { ok: false, code: 'ERROR_BAD_PARAMETERS' }
      if (!present(params.pageurl)) return { ok: false, code: 'ERROR_PAGEURL' }
      return { ok: true, type: v4 ? 'geetest_v4' : 'geetest', recorded: pick(params) }
    }
    case 'cloudflare_challenge':
      if (!/^https?:\/\//i.test(params.pageurl ?? '')) return { ok: false, code: 'ERROR_PAGEURL' }
      return { ok: true, type: 'cloudflare_challenge', recorded: pick(params) }
    case 'bls':
      return checkBls(params)
    case 'hcaptcha':
      // CaptchaAI answers an unsupported method with a server error (captchaai-protocol.md §1).
      return { ok: false, code: 'ERROR_SERVER_ERROR' }
    default:
      return { ok: false, code: 'ERROR_BAD_PARAMETERS' }
  }
}
