import type { CaptchaType } from '@shared/captcha'
import type { Micros } from '@shared/money'

export interface SandboxKeyConfig {
  key: string
  /** Concurrent tasks the key's plan allows (default 10). Beyond it: ERROR_NO_SLOT_AVAILABLE. */
  threads?: number
  /** What getbalance reports (default 10 USD). */
  balanceMicros?: Micros
  /** Per-solve charge, as on 2captcha (default 0: CaptchaAI's thread billing). Never charged for unsolvable. */
  chargePerSolveMicros?: Micros
  /** no_threads: the plan lapsed, every call answers ERROR_KEY_DOES_NOT_EXIST. */
  state?: 'active' | 'no_threads'
}

/** Probabilities in [0, 1], applied per request (unsolvableRate per task), deterministic from the seed. */
export interface SandboxFaults {
  unsolvableRate?: number
  http5xxRate?: number
  slowReplyRate?: number
  slowReplyMs?: number
  malformedRate?: number
  dropRate?: number
  /** ERROR_SERVER_ERROR protocol replies on in.php (no task created). */
  serverErrorRate?: number
}

export interface SolveTimeRange {
  minMs: number
  maxMs: number
}

export interface SandboxOptions {
  host?: string
  port?: number
  /** Divides every solve time: 1 = real timings, 100 = a hundred times faster. */
  speed?: number
  seed?: number
  keys?: SandboxKeyConfig[]
  faults?: SandboxFaults
  solveTimes?: Partial<Record<CaptchaType, SolveTimeRange>>
  now?: () => number
  /** Bad-key requests from one address within a minute before IP_BANNED (default 20). */
  badKeyBanThreshold?: number
  /** How long IP_BANNED lasts, real ms (default 5 minutes, as CaptchaAI documents). */
  banMs?: number
  /**
   * Whether res.php answers `ids=` batches (default true). False acts like an upstream without them (CaptchaAI's
   * support is unconfirmed): `ids` is ignored and the call is answered as a get without an id.
   */
  batchGet?: boolean
  /** How long an ended task can at least still be fetched or reported, real ms (default 10 minutes). */
  keepEndedMs?: number
  /** At most this many ended tasks are kept, the most recent (default 50,000: about 85 MB of answers). */
  keepEndedTasks?: number
}

export type SandboxTaskStatus = 'solving' | 'solved' | 'unsolvable'

export interface SandboxTaskRecord {
  id: string
  keyFingerprint: string
  type: CaptchaType
  /** The submitted parameters, minus the key and the image body. */
  params: Record<string, string>
  status: SandboxTaskStatus
  submittedAt: number
  /** When the task is (or will be) ready. */
  readyAt: number
  answer: string | null
  firstDeliveredAt: number | null
  deliveredCount: number
  reports: Array<'good' | 'bad'>
  pingback: string | null
}

export interface SandboxStats {
  inPhp: number
  resGet: number
  /** res.php?action=get calls that used ids= (batches). */
  resGetIds: number
  getBalance: number
  reports: number
  faultsInjected: Record<string, number>
  byKey: Record<string, { inPhp: number; resGet: number }>
}

export const DEFAULT_SOLVE_TIMES: Record<CaptchaType, SolveTimeRange> = {
  recaptcha_v2: { minMs: 15_000, maxMs: 40_000 },
  recaptcha_v3: { minMs: 4_000, maxMs: 6_000 },
  turnstile: { minMs: 10_000, maxMs: 15_000 },
  image: { minMs: 3_000, maxMs: 7_000 },
  geetest: { minMs: 8_000, maxMs: 15_000 },
  geetest_v4: { minMs: 8_000, maxMs: 15_000 },
  cloudflare_challenge: { minMs: 15_000, maxMs: 30_000 },
  bls: { minMs: 5_000, maxMs: 12_000 },
}
