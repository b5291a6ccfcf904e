/** Provider profiles: which upstream speaks the in.php/res.php protocol, and what it supports. */
export const PROVIDER_IDS = ['sandbox', 'captchaai', '2captcha', 'custom'] as const
export type ProviderId = (typeof PROVIDER_IDS)[number]

export interface ProviderProfile {
  id: ProviderId
  label: string
  /** Base URL without trailing slash; in.php and res.php hang off it. Sandbox's is set when it starts. */
  baseUrl: string
  /** res.php?action=get&ids=1,2,3 batches. */
  supportsBatchGet: boolean
  /** Whether ERROR_ZERO_BALANCE means "no free threads" (CaptchaAI) rather than "no money" (2captcha). */
  zeroBalanceMeansNoThreads: boolean
  /** Billing model of the account: a thread subscription or a per-solve charge. */
  billing: 'threads' | 'per_solve'
}

export const PROVIDER_PRESETS: Record<Exclude<ProviderId, 'custom'>, ProviderProfile> = {
  sandbox: {
    id: 'sandbox',
    label: 'Sandbox (built-in simulator)',
    baseUrl: '',
    supportsBatchGet: true,
    zeroBalanceMeansNoThreads: true,
    billing: 'threads',
  },
  captchaai: {
    id: 'captchaai',
    label: 'CaptchaAI',
    baseUrl: 'https://ocr.captchaai.com',
    supportsBatchGet: false,
    zeroBalanceMeansNoThreads: true,
    billing: 'threads',
  },
  '2captcha': {
    id: '2captcha',
    label: '2captcha',
    baseUrl: 'https://2captcha.com',
    supportsBatchGet: true,
    zeroBalanceMeansNoThreads: false,
    billing: 'per_solve',
  },
}
