/**
 * The provider layer's public surface: what the solve service and the gateway depend on.
 * Implementations live beside this file; nothing outside electron/engine/provider imports them directly.
 */
import type { CaptchaRequest, CaptchaType } from '@shared/captcha'
import type { Micros } from '@shared/money'
import type { ProviderProfile } from '@shared/provider'
import type { SolveTimeSnapshot } from './solve-time-model'

/** What to do about an upstream error code. */
export type ErrorAction = 'retry' | 'fail_task' | 'stop_key'

export class ProviderError extends Error {
  override name = 'ProviderError'
  constructor(
    /** The upstream's code (ERROR_…), or one of ours: HTTP_<status>, NETWORK_ERROR, BAD_REPLY, DEADLINE_EXCEEDED, CANCELLED, INVALID_REQUEST. */
    readonly code: string,
    readonly action: ErrorAction,
    message: string,
    /** When the key may be tried again (stop_key with a known lift time, e.g. IP_BANNED after 5 minutes). */
    readonly retryAfterMs?: number,
  ) {
    super(message)
  }
}

/**
 * Where the client reports what it retried or gave up on (the console satisfies it). Messages and details never
 * carry an API key.
 */
export interface ProviderLogger {
  debug?(message: string, details?: Record<string, unknown>): void
  info?(message: string, details?: Record<string, unknown>): void
  warn?(message: string, details?: Record<string, unknown>): void
  error?(message: string, details?: Record<string, unknown>): void
}

export interface SubmitResult {
  /** Upstream task id as a string (CaptchaAI returns numbers for reCAPTCHA in JSON mode). */
  taskId: string
  submittedAt: number
}

export type TaskOutcome =
  | { status: 'solved'; taskId: string; answer: string; submittedAt: number; readyAt: number }
  | {
      status: 'failed'
      taskId: string
      code: string
      action: ErrorAction
      submittedAt: number
      endedAt: number
    }
  | { status: 'timed_out'; taskId: string; submittedAt: number; endedAt: number }
  | { status: 'cancelled'; taskId: string; submittedAt: number; endedAt: number }

export interface SolveOptions {
  signal?: AbortSignal
  /** Overall deadline for submit + wait, ms from now. Default: per type (120 s; 600 s for reCAPTCHA v2). */
  timeoutMs?: number
  /** Called once the upstream has accepted the task, before any wait: the ledger records the task id here. */
  onSubmitted?: (submit: SubmitResult) => void | Promise<void>
  /** Pingback URL for the upstream to call when done; polling stays on as the fallback. */
  pingbackUrl?: string
}

export interface ProviderClient {
  readonly profile: ProviderProfile
  /** What this client has learned about solve times (JSON-safe): the engine keeps it for the next start. */
  solveTimes(): SolveTimeSnapshot
  /** Validates, then in.php. Retries transient errors (NO_SLOT, 5xx, bad replies) within the deadline. Throws ProviderError. */
  submit(
    apiKey: string,
    request: CaptchaRequest,
    options?: Pick<SolveOptions, 'signal' | 'timeoutMs' | 'pingbackUrl'>,
  ): Promise<SubmitResult>
  /** Waits for a submitted task through the key's shared poller. Never throws for task-level outcomes. */
  waitForResult(
    apiKey: string,
    task: SubmitResult & { type: CaptchaType; pingback?: boolean },
    options?: Pick<SolveOptions, 'signal' | 'timeoutMs'>,
  ): Promise<TaskOutcome>
  /**
   * submit + onSubmitted + waitForResult. Throws ProviderError when submit fails, or whatever onSubmitted throws (the
   * solve service stops a task there: an id clash, or a caller that could not store the task).
   */
  solve(apiKey: string, request: CaptchaRequest, options?: SolveOptions): Promise<TaskOutcome>
  /** One res.php?action=get for a task (used at start-up to settle tasks a crash left open). */
  checkTask(
    apiKey: string,
    taskId: string,
  ): Promise<{ ready: true; answer: string } | { ready: false } | { ready: true; error: string }>
  getBalance(apiKey: string, options?: { signal?: AbortSignal }): Promise<Micros>
  report(apiKey: string, taskId: string, verdict: 'good' | 'bad'): Promise<void>
  /**
   * Delivers a pingback the app received (id + code); resolves the matching waiter at once. Only ids this client
   * is waiting for are accepted; a code that is an error code ends the task as failed. Returns whether it settled
   * a task. One that arrives before its task is waited for (our in.php reply still on its way) is held briefly,
   * bounded, and applied only if that id turns out to be ours.
   */
  acceptPingback(taskId: string, code: string): boolean
  /**
   * Stops every poller and rejects nothing silently: in-flight waits resolve as cancelled. An in.php call already
   * on the wire may finish (within the request timeout) so its task id reaches onSubmitted and ends as cancelled;
   * no new call starts.
   */
  close(): Promise<void>
}
