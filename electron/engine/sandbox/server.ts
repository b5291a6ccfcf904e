/**
 * The Sandbox: a simulated CAPTCHA-solving upstream speaking in.php / res.php on loopback, with per-key threads,
 * balances, bad-key bans and deterministic fault injection. It is the app's default provider and what every test
 * and benchmark runs against.
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { CaptchaType } from '@shared/captcha'
import { formatMoney } from '@shared/money'
import { createPrng, type Prng } from './prng'
import { answerClientError } from '../http/client-error'
import { pingbackUrl } from '../http/pingback-url'
import { queryAsksJson, sendProtocolReply } from '../http/protocol-reply'
import { MalformedRequestError, readRequestParams, RequestTooLargeError } from '../http/request-params'
import { sendBody } from '../http/send-body'
import { accountFrom, TaskBook, type KeyAccount } from './task-book'
import {
  DEFAULT_SOLVE_TIMES,
  type SandboxFaults,
  type SandboxKeyConfig,
  type SandboxOptions,
  type SandboxStats,
  type SandboxTaskRecord,
  type SolveTimeRange,
} from './types'
import { checkSubmit } from './validate-submit'

/** Public test data: the Sandbox's built-in key. Not a secret; it works only against the Sandbox. */
export const SANDBOX_DEMO_KEY = 'sandbox0demo0key0000000000000001'.padEnd(32, '0').slice(0, 32)

const MAX_BODY_BYTES = 1024 * 1024

export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12)
}

export interface Sandbox {
  readonly url: string
  readonly port: number
  addKey(cfg: SandboxKeyConfig): void
  /** Changes a key's plan in place (threads, balance, charge, state); `key` in the patch is ignored. */
  setKeyState(key: string, patch: Partial<SandboxKeyConfig>): void
  setFaults(faults: SandboxFaults): void
  setSpeed(speed: number): void
  tasks(filter?: {
    key?: string
    status?: SandboxTaskRecord['status']
    type?: CaptchaType
  }): SandboxTaskRecord[]
  task(id: string): SandboxTaskRecord | undefined
  threadsInUse(key: string): number
  balance(key: string): number
  stats(): SandboxStats
  resetStats(): void
  close(): Promise<void>
}

type Reply = { status: 0 | 1; request: string | number; error_text?: string }

function emptyStats(): SandboxStats {
  return { inPhp: 0, resGet: 0, resGetIds: 0, getBalance: 0, reports: 0, faultsInjected: {}, byKey: {} }
}

function checkRate(name: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1))
    throw new RangeError(`faults.${name} must be a number between 0 and 1`)
}

const MAX_TIMER_MS = 24 * 60 * 60_000

function checkKeyConfig(cfg: Partial<SandboxKeyConfig>): void {
  if (cfg.threads !== undefined && !(Number.isInteger(cfg.threads) && cfg.threads >= 0))
    throw new RangeError('threads must be a whole number, 0 or more')
  if (cfg.balanceMicros !== undefined && !Number.isSafeInteger(cfg.balanceMicros))
    throw new RangeError('balanceMicros must be whole micro-units')
  if (
    cfg.chargePerSolveMicros !== undefined &&
    !(Number.isSafeInteger(cfg.chargePerSolveMicros) && cfg.chargePerSolveMicros >= 0)
  )
    throw new RangeError('chargePerSolveMicros must be whole micro-units, 0 or more')
  if (cfg.state !== undefined && cfg.state !== 'active' && cfg.state !== 'no_threads')
    throw new RangeError("state must be 'active' or 'no_threads'")
}

function checkSolveTimes(times: Partial<Record<CaptchaType, SolveTimeRange>>): void {
  for (const [type, range] of Object.entries(times)) {
    if (range === undefined) continue
    const { minMs, maxMs } = range
    if (!(
      Number.isFinite(minMs) &&
      Number.isFinite(maxMs) &&
      minMs >= 0 &&
      minMs <= maxMs &&
      maxMs <= MAX_TIMER_MS
    ))
      throw new RangeError(`solveTimes.${type} must have 0 <= minMs <= maxMs <= 24 h`)
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? Date.now
  let speed = options.speed ?? 1
  if (!(speed > 0 && Number.isFinite(speed))) throw new RangeError('speed must be a positive number')
  const prng: Prng = createPrng(options.seed ?? 1)
  const faultPrng: Prng = createPrng((options.seed ?? 1) ^ 0x5bd1e995)
  let faults: SandboxFaults = {}
  const setFaults = (f: SandboxFaults): void => {
    for (const [k, v] of Object.entries(f)) if (k !== 'slowReplyMs') checkRate(k, v)
    const slow = f.slowReplyMs
    if (slow !== undefined && !(Number.isFinite(slow) && slow >= 0 && slow <= MAX_TIMER_MS))
      throw new RangeError('faults.slowReplyMs must be between 0 and 24 h')
    faults = { ...f }
  }
  setFaults(options.faults ?? {})
  checkSolveTimes(options.solveTimes ?? {})
  const solveTimes: Record<CaptchaType, SolveTimeRange> = { ...DEFAULT_SOLVE_TIMES, ...options.solveTimes }
  const banThreshold = options.badKeyBanThreshold ?? 20
  const banMs = options.banMs ?? 5 * 60_000
  if (!(Number.isInteger(banThreshold) && banThreshold >= 1))
    throw new RangeError('badKeyBanThreshold must be a whole number, 1 or more')
  if (!(Number.isFinite(banMs) && banMs >= 0)) throw new RangeError('banMs must be 0 or more')
  const keep = { endedMs: options.keepEndedMs ?? 10 * 60_000, endedTasks: options.keepEndedTasks ?? 50_000 }
  if (!(Number.isFinite(keep.endedMs) && keep.endedMs >= 0))
    throw new RangeError('keepEndedMs must be 0 or more')
  if (!(Number.isInteger(keep.endedTasks) && keep.endedTasks >= 0))
    throw new RangeError('keepEndedTasks must be a whole number, 0 or more')
  const accounts = new Map<string, KeyAccount>()
  const badKeyHits = new Map<string, number[]>()
  const bannedUntil = new Map<string, number>()
  let stats = emptyStats()
  const sockets = new Set<Socket>()
  const pingbacks = new Set<AbortController>()
  /** Slow-reply delays in progress: cleared by close() so they never hold the process open. */
  const delays = new Map<NodeJS.Timeout, () => void>()
  let closed = false

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        delays.delete(timer)
        resolve()
      }, ms)
      delays.set(timer, resolve)
    })
  }

  const addKey = (cfg: SandboxKeyConfig): void => {
    if (typeof cfg.key !== 'string' || cfg.key.length === 0)
      throw new TypeError('key must be a non-empty string')
    checkKeyConfig(cfg)
    const account = accountFrom(cfg, keyFingerprint(cfg.key))
    const existing = accounts.get(cfg.key)
    // Re-adding a key replaces its plan in place, so tasks in flight settle against the same account.
    if (existing) Object.assign(existing, account)
    else accounts.set(cfg.key, account)
  }
  for (const cfg of options.keys ?? [{ key: SANDBOX_DEMO_KEY, threads: 50 }]) addKey(cfg)

  const book = new TaskBook(prng, now, (task) => sendPingback(task), keep)

  function sendPingback(task: SandboxTaskRecord): void {
    if (!task.pingback) return
    const code = task.status === 'solved' ? (task.answer ?? '') : 'ERROR_CAPTCHA_UNSOLVABLE'
    const target = pingbackUrl(task.pingback, task.id, code)
    // The Sandbox only ever calls back to this machine.
    if (
      !target ||
      !['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname) ||
      target.protocol !== 'http:'
    )
      return
    const ctl = new AbortController()
    pingbacks.add(ctl)
    const timer = setTimeout(() => ctl.abort(), 5_000)
    fetch(target, { signal: ctl.signal })
      .then((r) => r.arrayBuffer())
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer)
        pingbacks.delete(ctl)
      })
  }

  function countFault(name: string): void {
    stats.faultsInjected[name] = (stats.faultsInjected[name] ?? 0) + 1
  }

  function keyStats(fp: string): { inPhp: number; resGet: number } {
    return (stats.byKey[fp] ??= { inPhp: 0, resGet: 0 })
  }

  function noteBadKey(ip: string): void {
    const t = now()
    const hits = (badKeyHits.get(ip) ?? []).filter((h) => t - h < 60_000)
    hits.push(t)
    badKeyHits.set(ip, hits)
    if (hits.length >= banThreshold) {
      bannedUntil.set(ip, t + banMs)
      badKeyHits.delete(ip)
    }
  }

  /** Resolves the key or answers with the protocol's key errors. */
  function authenticate(
    params: Record<string, string>,
    ip: string,
  ): { key: string; account: KeyAccount } | string {
    const key = params.key ?? ''
    if (key.length !== 32) {
      noteBadKey(ip)
      return 'ERROR_WRONG_USER_KEY'
    }
    const account = accounts.get(key)
    if (!account) {
      noteBadKey(ip)
      return 'ERROR_KEY_DOES_NOT_EXIST'
    }
    if (account.state === 'no_threads') return 'ERROR_KEY_DOES_NOT_EXIST'
    return { key, account }
  }

  function handleIn(params: Record<string, string>, ip: string): Reply {
    stats.inPhp++
    const auth = authenticate(params, ip)
    if (typeof auth === 'string') return { status: 0, request: auth }
    keyStats(auth.account.fingerprint).inPhp++
    if (faultPrng.chance(faults.serverErrorRate ?? 0)) {
      countFault('serverError')
      return { status: 0, request: 'ERROR_SERVER_ERROR' }
    }
    const check = checkSubmit(params)
    if (!check.ok) return { status: 0, request: check.code }
    if (
      auth.account.chargePerSolveMicros > 0 &&
      auth.account.balanceMicros < auth.account.chargePerSolveMicros
    ) {
      return { status: 0, request: 'ERROR_ZERO_BALANCE' }
    }
    if (book.threadsInUse(auth.key) >= auth.account.threads)
      return { status: 0, request: 'ERROR_NO_SLOT_AVAILABLE' }
    const unsolvable = faultPrng.chance(faults.unsolvableRate ?? 0)
    if (unsolvable) countFault('unsolvable')
    const pingback = params.pingback && params.pingback.length <= 2000 ? params.pingback : null
    const task = book.create(
      auth.key,
      auth.account,
      check.type,
      check.recorded,
      solveTimes[check.type],
      speed,
      unsolvable,
      pingback,
    )
    // As the real service does: reCAPTCHA ids are JSON numbers, other methods' are strings.
    return { status: 1, request: params.method === 'userrecaptcha' ? Number(task.id) : task.id }
  }

  function resultFor(id: string, key: string): string {
    if (!/^\d+$/.test(id)) return 'ERROR_WRONG_ID_FORMAT'
    const task = book.get(id)
    if (!task || task.key !== key) return 'ERROR_WRONG_CAPTCHA_ID'
    if (task.status === 'solving') return 'CAPCHA_NOT_READY'
    if (task.status === 'unsolvable') return 'ERROR_CAPTCHA_UNSOLVABLE'
    book.markDelivered(task)
    return task.answer ?? ''
  }

  function handleRes(params: Record<string, string>, ip: string): Reply {
    const action = params.action ?? ''
    if (action === '') return { status: 0, request: 'ERROR_EMPTY_ACTION' }
    if (action === 'get') stats.resGet++
    if (action === 'getbalance') stats.getBalance++
    if (action === 'reportbad' || action === 'reportgood') stats.reports++
    const auth = authenticate(params, ip)
    if (typeof auth === 'string') return { status: 0, request: auth }
    switch (action) {
      case 'get': {
        keyStats(auth.account.fingerprint).resGet++
        if (params.ids !== undefined) stats.resGetIds++
        if (params.ids !== undefined && options.batchGet !== false) {
          const ids = params.ids.split(',').map((s) => s.trim())
          if (ids.length === 0 || ids.length > 100 || ids.some((i) => i === ''))
            return { status: 0, request: 'ERROR_WRONG_ID_FORMAT' }
          return { status: 1, request: ids.map((i) => resultFor(i, auth.key)).join('|') }
        }
        const answer = resultFor(params.id ?? '', auth.key)
        if (answer === 'CAPCHA_NOT_READY' || answer.startsWith('ERROR_'))
          return { status: 0, request: answer }
        return { status: 1, request: answer }
      }
      case 'getbalance':
        return { status: 1, request: formatMoney(auth.account.balanceMicros, 6).replace(/0{1,4}$/, '') }
      case 'reportbad':
      case 'reportgood': {
        const task = book.get(params.id ?? '')
        if (!task || task.key !== auth.key || task.status !== 'solved')
          return { status: 0, request: 'ERROR_REPORT_NOT_RECORDED' }
        if (task.reports.length > 0) return { status: 0, request: 'ERROR_DUPLICATE_REPORT' }
        task.reports.push(action === 'reportbad' ? 'bad' : 'good')
        return { status: 1, request: 'OK_REPORT_RECORDED' }
      }
      default:
        return { status: 0, request: 'ERROR_BAD_PARAMETERS' }
    }
  }

  const send = sendProtocolReply

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ip = req.socket.remoteAddress ?? 'unknown'
    // Faults are decided before anything is created, so a failed request never leaves hidden state behind.
    if (faultPrng.chance(faults.dropRate ?? 0)) {
      countFault('drop')
      req.socket.destroy()
      return
    }
    if (faultPrng.chance(faults.http5xxRate ?? 0)) {
      countFault('http5xx')
      req.resume()
      const status = faultPrng.chance(0.5) ? 502 : 500
      const title = status === 502 ? '502 Bad Gateway' : '500 Internal Server Error'
      sendBody(
        res,
        status,
        { 'content-type': 'text/html' },
        `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>`,
      )
      return
    }
    if (faultPrng.chance(faults.slowReplyRate ?? 0)) {
      countFault('slow')
      await delay(faults.slowReplyMs ?? 2_000)
      if (closed || req.socket.destroyed) return
    }
    const malformed = faultPrng.chance(faults.malformedRate ?? 0)
    let parsed
    try {
      parsed = await readRequestParams(req, MAX_BODY_BYTES)
    } catch (err) {
      if (err instanceof RequestTooLargeError) {
        sendBody(res, 413, { 'content-type': 'text/plain', connection: 'close' }, 'Request Entity Too Large')
        return
      }
      if (err instanceof MalformedRequestError) {
        send(res, { status: 0, request: 'ERROR_BAD_PARAMETERS' }, queryAsksJson(req.url))
        return
      }
      throw err
    }
    const json = parsed.params.json === '1'
    const acao = { acao: parsed.params.header_acao === '1' }
    const banned = bannedUntil.get(ip)
    if (banned !== undefined && banned > now()) {
      send(res, { status: 0, request: 'IP_BANNED' }, json, acao)
      return
    }
    if (malformed) {
      // A garbled reply; the request itself is not acted on (no task is created), so state stays reconcilable.
      countFault('malformed')
      sendBody(
        res,
        200,
        { 'content-type': json ? 'application/json' : 'text/plain' },
        json ? '{"status":1,"requ' : '<!DOCTYPE html><p>upstream hiccup',
      )
      return
    }
    const path = parsed.path.replace(/\/+$/, '')
    if (path.endsWith('/in.php')) send(res, handleIn(parsed.params, ip), json, acao)
    else if (path.endsWith('/res.php')) send(res, handleRes(parsed.params, ip), json, acao)
    else sendBody(res, 404, { 'content-type': 'text/plain' }, 'Not Found')
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendBody(res, 500, { 'content-type': 'text/plain' }, 'internal error')
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5_000
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('clientError', answerClientError)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('Sandbox did not get a TCP port')
  const host = options.host ?? '127.0.0.1'
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`

  return {
    url,
    port: address.port,
    addKey,
    setKeyState(key, patch) {
      const account = accounts.get(key)
      if (!account) throw new Error('unknown Sandbox key')
      checkKeyConfig(patch)
      if (patch.threads !== undefined) account.threads = patch.threads
      if (patch.balanceMicros !== undefined) account.balanceMicros = patch.balanceMicros
      if (patch.chargePerSolveMicros !== undefined) account.chargePerSolveMicros = patch.chargePerSolveMicros
      if (patch.state !== undefined) account.state = patch.state
    },
    setFaults,
    setSpeed(s) {
      if (!(s > 0 && Number.isFinite(s))) throw new RangeError('speed must be a positive number')
      speed = s
    },
    tasks: (filter) => book.list(filter),
    task: (id) => {
      const t = book.get(id)
      return t ? book.view(t) : undefined
    },
    threadsInUse: (key) => book.threadsInUse(key),
    balance: (key) => accounts.get(key)?.balanceMicros ?? 0,
    stats: () => structuredClone(stats),
    resetStats() {
      stats = emptyStats()
    },
    async close() {
      closed = true
      book.close()
      for (const [timer, resolve] of delays) {
        clearTimeout(timer)
        resolve()
      }
      delays.clear()
      for (const ctl of pingbacks) ctl.abort()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
    },
  }
}
