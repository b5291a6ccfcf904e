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
]

function pick(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of RECORDED) if (params[name] !== undefined) out[name] = params[name]
  return out
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

function checkImage(params: Record<string, string>): SubmitCheck {
  const body = params.body ?? ''
  if (!present(body)) return { ok: false, code: 'ERROR_ZERO_CAPTCHA_FILESIZE' }
  if (!/^[A-Za-z0-9+/=\r\n]+$/.test(body)) return { ok: false, code: 'ERROR_UPLOAD' }
  const bytes = Buffer.from(body, 'base64')
  if (bytes.length < MIN_IMAGE_BYTES) return { ok: false, code: 'ERROR_ZERO_CAPTCHA_FILESIZE' }
  if (bytes.length > MAX_IMAGE_BYTES) return { ok: false, code: 'ERROR_TOO_BIG_CAPTCHA_FILESIZE' }
  if (!isImage(bytes)) return { ok: false, code: 'ERROR_IMAGE_TYPE_NOT_SUPPORTED' }
  return { ok: true, type: 'image', recorded: { bytes: String(bytes.length) } }
}

export function checkSubmit(params: Record<string, string>): SubmitCheck {
  const method = (params.method ?? '').toLowerCase()
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
      if (!present(params.gt) || !present(params.challenge))
        return { ok: false, code: 'ERROR_BAD_PARAMETERS' }
      if (!present(params.pageurl)) return { ok: false, code: 'ERROR_PAGEURL' }
      return { ok: true, type: 'geetest', recorded: pick(params) }
    case 'hcaptcha':
      // CaptchaAI answers an unsupported method with a server error (captchaai-protocol.md §1).
      return { ok: false, code: 'ERROR_SERVER_ERROR' }
    default:
      return { ok: false, code: 'ERROR_BAD_PARAMETERS' }
  }
}
