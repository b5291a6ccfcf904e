/**
 * The protocol client: validated submits with classified retries, one shared poller per key, pingback, balances.
 * It never logs or throws an API key.
 */
import type { CaptchaRequest, CaptchaType } from '@shared/captcha'
import { describeIssues, parseCaptchaRequest } from '@shared/captcha-schema'
import type { Micros } from '@shared/money'
import type { ProviderProfile } from '@shared/provider'
import { classifyCode, isNotReady } from './error-codes'
import { inPhpParams } from './in-php-params'
import { KeyPoller, type BatchSupport } from './key-poller'
import { parseDecimalBalance } from './balance'
import { fetchTransport, pooledHttpTransport } from './http-transport'
import { RequestLimiter } from './request-limiter'
import { SolveTimeModel, type SolveTimeSnapshot } from './solve-time-model'
import {
  ADVICE_BY_PROFILE,
  DEFAULT_POLL_POLICY,
  NO_ADVICE,
  TIMING_BY_PROFILE,
  type PollAdvice,
  type PollPolicy,
  type TypeTiming,
} from './timing'
import {
  ProviderError,
  type ProviderClient,
  type ProviderLogger,
  type SolveOptions,
  type SubmitResult,
  type TaskOutcome,
} from './types'
import { callUpstream, type UpstreamReply } from './upstream-http'

export interface ProviderClientOptions {
  profile: ProviderProfile
  fetch?: typeof fetch
  now?: () => number
  /** Divides every wait, back-off and default deadline: the Sandbox's speed factor. */
  speed?: number
  /** Per-type first poll / poll interval / deadline (real-time ms), over the profile's table (timing.ts). */
  timing?: Partial<Record<CaptchaType, Partial<TypeTiming>>>
  /** How batch polls are paced and how single gets are planned and budgeted (timing.ts). */
  pollPolicy?: Partial<PollPolicy>
  /**
   * The provider's published polling advice (first poll no sooner than 5 s, 10 s for reCAPTCHA; at most 20 polls
   * per task) is followed unless the operator chooses 'ignore'.
   */
  pollAdvice?: 'follow' | 'ignore'
  /** One HTTP call's limit (real ms, not scaled). Default 30 s. */
  requestTimeoutMs?: number
  /** Upstream calls on the wire at once (submits and polls of every key together). Default 512. */
  maxConcurrentRequests?: number
  /** At most this many in.php retries per submit, whatever the codes (default 10; each code may cap lower). */
  maxSubmitRetries?: number
  logger?: ProviderLogger
  /**
   * What an earlier client for this upstream learned about solve times (`solveTimes()`, kept across restarts by the
   * engine): polling starts from it instead of the timing table. Checked; one that does not fit is logged and ignored.
   */
  solveTimes?: unknown
  /** For back-off jitter (tests); default Math.random. */
  random?: () => number
}

const cancelled = (): ProviderError => new ProviderError('CANCELLED', 'fail_task', 'Cancelled.')

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelled())
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(t)
      reject(cancelled())
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })

export function createProviderClient(options: ProviderClientOptions): ProviderClient {
  const profile = options.profile
  if (!/^https?:\/\/[^\s]+$/.test(profile.baseUrl))
    throw new TypeError('The provider needs an http(s) base URL')
  const base = profile.baseUrl.replace(/\/+$/, '')
  const now = options.now ?? Date.now
  const speed = options.speed ?? 1
  if (!(speed > 0)) throw new RangeError('speed must be positive')
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
  if (!(requestTimeoutMs > 0)) throw new RangeError('requestTimeoutMs must be positive')
  const limiter = new RequestLimiter(options.maxConcurrentRequests ?? 512)
  const transport = options.fetch ? fetchTransport(options.fetch) : pooledHttpTransport(limiter.max)
  const maxSubmitRetries = options.maxSubmitRetries ?? 10
  if (!Number.isInteger(maxSubmitRetries) || maxSubmitRetries < 0)
    throw new RangeError('maxSubmitRetries must be a whole number ≥ 0')
  const logger = options.logger
  const random = options.random ?? Math.random
  const policy: PollPolicy = { ...DEFAULT_POLL_POLICY, ...options.pollPolicy }
  if (!(
    policy.minIntervalMs > 0 &&
    policy.maxIntervalMs >= policy.minIntervalMs &&
    policy.targetReadyPerRequest > 0 &&
    policy.readyChancePerPoll > 0 &&
    policy.readyChancePerPoll <= 1 &&
    policy.readyChanceAtScale > 0 &&
    policy.readyChanceAtScale <= 1 &&
    policy.minGapMs > 0 &&
    policy.tasksPerConnection > 0 &&
    policy.pollsPerTaskPerMinute > 0
  ))
    throw new RangeError(
      'pollPolicy needs 0 < minIntervalMs ≤ maxIntervalMs, targetReadyPerRequest > 0, ' +
        '0 < readyChancePerPoll ≤ 1, 0 < readyChanceAtScale ≤ 1, ' +
        'minGapMs, tasksPerConnection and pollsPerTaskPerMinute > 0',
    )
  const advice: PollAdvice =
    options.pollAdvice === 'ignore' ? NO_ADVICE : (ADVICE_BY_PROFILE[profile.id] ?? ADVICE_BY_PROFILE.custom)
  const table = TIMING_BY_PROFILE[profile.id] ?? TIMING_BY_PROFILE.custom
  const timings = new Map<CaptchaType, TypeTiming>()
  for (const type of Object.keys(table) as CaptchaType[]) {
    const t = { ...table[type], ...options.timing?.[type] }
    if (!(t.firstPollMs >= 0 && t.pollIntervalMs > 0 && t.typicalMaxMs >= t.firstPollMs && t.deadlineMs > 0))
      throw new RangeError(
        `timing for ${type} needs firstPollMs ≤ typicalMaxMs, pollIntervalMs > 0, deadlineMs > 0`,
      )
    timings.set(type, t)
  }
  const timing = (type: CaptchaType): TypeTiming => timings.get(type)!
  /** Solve times per type at this provider, learned from the answers seen; the timing table is the prior. */
  const model = new SolveTimeModel((type) => ({
    fromMs: timing(type).firstPollMs,
    toMs: timing(type).typicalMaxMs,
  }))
  if (options.solveTimes !== undefined) {
    const restored = model.restore(options.solveTimes)
    if (restored.ok)
      logger?.info?.('provider: solve times learned before the restart restored', {
        types: restored.types,
        ...(restored.skipped.length > 0 ? { skippedUnknownTypes: restored.skipped } : {}),
      })
    else
      logger?.warn?.(
        'provider: the solve times learned before the restart could not be used; starting afresh',
        {
          reason: restored.reason,
        },
      )
  }
  /** Profiles known for batches start with them; any other upstream is probed once (key-poller.ts). */
  const batch: BatchSupport = {
    state: profile.supportsBatchGet ? 'yes' : 'unknown',
    probing: false,
    inconclusive: 0,
  }
  /**
   * The default overall deadline follows the (scaled) solve times, but never drops below 30 s of real time: it guards
   * against hangs, and a busy machine must not turn a fast simulated solve into a timeout.
   */
  const defaultDeadline = (type: CaptchaType): number =>
    Math.max(timing(type).deadlineMs / speed, Math.min(timing(type).deadlineMs, 30_000))
  const pollers = new Map<string, KeyPoller>()
  /** Keys the upstream told us to stop using, until when (IP_BANNED lifts after 5 minutes). */
  const blockedUntil = new Map<string, { until: number; code: string }>()
  const closing = new AbortController()
  const untilClosed = (signal?: AbortSignal): AbortSignal =>
    signal ? AbortSignal.any([signal, closing.signal]) : closing.signal

  /**
   * Pingbacks that arrive before their task is being waited for (the upstream may call back before our in.php
   * reply is processed): kept briefly and applied if the id turns out to be ours. Bounded in count and size.
   */
  const earlyPingbacks = new Map<string, { code: string; until: number }>()
  const EARLY_PINGBACKS_MAX = 1_000
  const EARLY_PINGBACK_MAX_CHARS = 32_000
  const EARLY_PINGBACK_TTL_MS = 120_000

  /** in.php calls on the wire: close() lets them finish, so an id the upstream assigned is never lost. */
  const submitsInFlight = new Set<Promise<unknown>>()

  const call = (
    path: 'in.php' | 'res.php',
    apiKey: string,
    params: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<UpstreamReply> => {
    if (path === 'res.php')
      return callUpstream(
        transport,
        `${base}/${path}`,
        { ...params, key: apiKey },
        { signal: untilClosed(signal), timeoutMs: requestTimeoutMs, limiter },
      )
    const p = callUpstream(
      transport,
      `${base}/${path}`,
      { ...params, key: apiKey },
      { signal, timeoutMs: requestTimeoutMs, limiter },
    )
    submitsInFlight.add(p)
    void p.then(
      () => submitsInFlight.delete(p),
      () => submitsInFlight.delete(p),
    )
    return p
  }

  function assertKey(apiKey: string): void {
    if (closing.signal.aborted)
      throw new ProviderError('CANCELLED', 'fail_task', 'The provider client is closed.')
    if (typeof apiKey !== 'string' || apiKey.length === 0)
      throw new ProviderError('INVALID_KEY', 'stop_key', 'No upstream key is configured.')
    const blocked = blockedUntil.get(apiKey)
    if (blocked && blocked.until > now()) {
      throw new ProviderError(
        blocked.code,
        'stop_key',
        `The upstream refuses this key for now (${blocked.code}); retry later.`,
        blocked.until - now(),
      )
    }
  }

  function pollerFor(apiKey: string): KeyPoller {
    let poller = pollers.get(apiKey)
    if (!poller) {
      const created: KeyPoller = new KeyPoller({
        // The poller's signals already end with close() (it closes every poller): no extra signal per poll.
        get: (params, signal) =>
          callUpstream(
            transport,
            `${base}/res.php`,
            { ...params, key: apiKey },
            { signal, timeoutMs: requestTimeoutMs, limiter },
          ),
        batch,
        policy,
        advice,
        model,
        timing,
        zeroBalanceMeansNoThreads: profile.zeroBalanceMeansNoThreads,
        speed,
        now,
        logger,
        random,
        onIdle: () => {
          if (pollers.get(apiKey) === created) pollers.delete(apiKey)
        },
        onKeyStopped: (code, liftsAfterMs) => {
          if (liftsAfterMs) blockedUntil.set(apiKey, { until: now() + liftsAfterMs, code })
          logger?.warn?.('provider: the upstream refused a key while polling', { code })
        },
      })
      poller = created
      pollers.set(apiKey, poller)
    }
    return poller
  }

  function validate(request: CaptchaRequest): CaptchaRequest {
    const parsed = parseCaptchaRequest(request)
    if (!parsed.success)
      throw new ProviderError(
        'INVALID_REQUEST',
        'fail_task',
        `Invalid captcha request: ${describeIssues(parsed.error)}`,
      )
    return parsed.data
  }

  async function submit(
    apiKey: string,
    request: CaptchaRequest,
    opts: Pick<SolveOptions, 'signal' | 'timeoutMs' | 'pingbackUrl'> = {},
    alreadyValid = false,
  ): Promise<SubmitResult> {
    const valid = alreadyValid ? request : validate(request)
    assertKey(apiKey)
    const deadline = now() + (opts.timeoutMs ?? defaultDeadline(valid.type))
    const params = inPhpParams(valid)
    if (opts.pingbackUrl) params.pingback = opts.pingbackUrl
    const retriesByCode = new Map<string, number>()
    for (let attempt = 0; ; attempt++) {
      let code: string
      try {
        const reply = await call('in.php', apiKey, params, opts.signal)
        if (reply.ok && /^\d+$/.test(reply.request)) return { taskId: reply.request, submittedAt: now() }
        code = reply.ok ? 'BAD_REPLY' : reply.request
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err
        if (err.code === 'CANCELLED') throw err
        code = err.code
      }
      const c = classifyCode(code, profile)
      if (c.action === 'stop_key') {
        if (c.liftsAfterMs) blockedUntil.set(apiKey, { until: now() + c.liftsAfterMs, code })
        logger?.warn?.('provider: the upstream refused the key', { code })
        throw new ProviderError(code, 'stop_key', c.message, c.liftsAfterMs)
      }
      if (c.action === 'fail_task') throw new ProviderError(code, 'fail_task', c.message)
      const used = (retriesByCode.get(code) ?? 0) + 1
      retriesByCode.set(code, used)
      if (c.maxRetries !== undefined && used > c.maxRetries)
        throw new ProviderError(code, 'fail_task', `${c.message} Gave up after ${c.maxRetries} retries.`)
      if (attempt >= maxSubmitRetries)
        throw new ProviderError(code, 'retry', `${c.message} Gave up after ${maxSubmitRetries} retries.`)
      const backoff =
        Math.min(30_000, (c.backoffMs ?? 2_000) * 2 ** Math.min(3, used - 1)) * (0.75 + random() * 0.5)
      const wait = backoff / speed
      if (now() + wait >= deadline)
        throw new ProviderError(code, 'retry', `${c.message} Still failing at the deadline.`)
      logger?.debug?.('provider: submit retried', { code, attempt: attempt + 1, waitMs: Math.round(wait) })
      // Made only for a retry (AbortSignal.any costs a signal and weak references per call).
      await sleep(wait, untilClosed(opts.signal))
    }
  }

  async function waitForResult(
    apiKey: string,
    task: SubmitResult & { type: CaptchaType; pingback?: boolean },
    opts: Pick<SolveOptions, 'signal' | 'timeoutMs'> = {},
  ): Promise<TaskOutcome> {
    if (closing.signal.aborted)
      return { status: 'cancelled', taskId: task.taskId, submittedAt: task.submittedAt, endedAt: now() }
    const deadlineAt =
      opts.timeoutMs !== undefined ? now() + opts.timeoutMs : task.submittedAt + defaultDeadline(task.type)
    const poller = pollerFor(apiKey)
    const outcome = poller.wait(task, deadlineAt, opts.signal, task.pingback === true)
    const early = earlyPingbacks.get(task.taskId)
    if (early) {
      earlyPingbacks.delete(task.taskId)
      if (early.until > now()) poller.deliver(task.taskId, early.code)
    }
    return outcome
  }

  return {
    profile,
    solveTimes: (): SolveTimeSnapshot => model.snapshot(),
    submit: (apiKey, request, opts) => submit(apiKey, request, opts),
    waitForResult,
    async solve(apiKey, request, opts = {}) {
      const started = now()
      const valid = validate(request)
      const type = valid.type
      const deadline = opts.timeoutMs ?? defaultDeadline(type)
      const submitted = await submit(
        apiKey,
        valid,
        { signal: opts.signal, timeoutMs: deadline, pingbackUrl: opts.pingbackUrl },
        true,
      )
      await opts.onSubmitted?.(submitted)
      const left = Math.max(0, started + deadline - now())
      return waitForResult(
        apiKey,
        { ...submitted, type, pingback: opts.pingbackUrl !== undefined },
        { signal: opts.signal, timeoutMs: left },
      )
    },
    async checkTask(apiKey, taskId) {
      assertKey(apiKey)
      if (!/^\d+$/.test(taskId))
        throw new ProviderError('ERROR_WRONG_ID_FORMAT', 'fail_task', 'Task ids are numeric.')
      const reply = await call('res.php', apiKey, { action: 'get', id: taskId })
      if (reply.ok) return { ready: true, answer: reply.request }
      if (isNotReady(reply.request)) return { ready: false }
      const c = classifyCode(reply.request, profile)
      // A key or transport problem says nothing about the task: the caller may ask again.
      if (c.action !== 'fail_task')
        throw new ProviderError(reply.request, c.action, c.message, c.liftsAfterMs)
      return { ready: true, error: reply.request }
    },
    async getBalance(apiKey, opts = {}) {
      assertKey(apiKey)
      const reply = await call('res.php', apiKey, { action: 'getbalance' }, opts.signal)
      if (!reply.ok) {
        const c = classifyCode(reply.request, profile)
        throw new ProviderError(reply.request, c.action, c.message, c.liftsAfterMs)
      }
      return parseDecimalBalance(reply.request) satisfies Micros
    },
    async report(apiKey, taskId, verdict) {
      assertKey(apiKey)
      const reply = await call('res.php', apiKey, {
        action: verdict === 'bad' ? 'reportbad' : 'reportgood',
        id: taskId,
      })
      if (!reply.ok && reply.request !== 'ERROR_DUPLICATE_REPORT') {
        const c = classifyCode(reply.request, profile)
        throw new ProviderError(reply.request, c.action, c.message)
      }
    },
    acceptPingback(taskId, code) {
      if (typeof taskId !== 'string' || typeof code !== 'string' || !/^\d{1,30}$/.test(taskId)) return false
      if (code.length === 0 || code.length > 100_000) return false
      for (const poller of pollers.values()) if (poller.has(taskId)) return poller.deliver(taskId, code)
      // Not (yet) one of our waiting tasks: hold it briefly in case our in.php reply is still on its way.
      if (closing.signal.aborted || code.length > EARLY_PINGBACK_MAX_CHARS) return false
      if (earlyPingbacks.size >= EARLY_PINGBACKS_MAX) {
        const t = now()
        for (const [id, e] of earlyPingbacks) if (e.until <= t) earlyPingbacks.delete(id)
        while (earlyPingbacks.size >= EARLY_PINGBACKS_MAX)
          earlyPingbacks.delete(earlyPingbacks.keys().next().value!)
      }
      earlyPingbacks.set(taskId, { code, until: now() + EARLY_PINGBACK_TTL_MS / speed })
      return false
    },
    async close() {
      closing.abort()
      earlyPingbacks.clear()
      // A submit already on the wire may come back with an id: let it, so solve() reports that task (cancelled).
      await Promise.allSettled([...submitsInFlight])
      for (const p of pollers.values()) p.close()
      pollers.clear()
      transport.close()
    },
  }
}
