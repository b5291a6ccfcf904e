/**
 * The console's one way to reach the engine: window.api in Electron (the preload builds it from the contract), or the
 * headless host's HTTP bridge implementing the same Api type.
 */
import type { Api, ApiError, Channel, Envelope, EventName, InputOf, OutputOf } from '@shared/ipc-contract'
import { CHANNELS } from '@shared/ipc-channels'
import { ApiFailure } from './errors'

declare global {
  interface Window {
    api?: Api
  }
}

export const TOKEN_KEY = 'captchadesk.token'

/** Takes `?token=` from the address once, keeps it in sessionStorage and strips it from the address bar. */
function bridgeToken(): string {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash)
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? ''
}

const OFFLINE: ApiError = {
  code: 'OFFLINE',
  message: 'The CaptchaDesk host is not reachable.',
}

/** The HTTP bridge of the headless host: POST /api/invoke/<channel>, Server-Sent Events at /api/events. */
function httpBridge(token: string = bridgeToken()): Api {
  const api: Record<string, unknown> = {}
  for (const channel of CHANNELS) {
    api[channel] = async (input: unknown): Promise<Envelope<unknown>> => {
      let res: Response
      try {
        res = await fetch(`/api/invoke/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-captchadesk-token': token },
          body: JSON.stringify({ input }),
        })
      } catch {
        return { ok: false, error: OFFLINE }
      }
      try {
        const body = (await res.json()) as Envelope<unknown>
        if (body && typeof body === 'object' && 'ok' in body) return body
      } catch {
        // not JSON: fall through
      }
      return {
        ok: false,
        error: { code: `HTTP_${res.status}`, message: `The host answered ${res.status} ${res.statusText}.` },
      }
    }
  }
  let source: EventSource | undefined
  const listeners = new Map<EventName, Set<(p: unknown) => void>>()
  api.on = (event: EventName, listener: (p: unknown) => void) => {
    source ??= new EventSource(`/api/events?token=${encodeURIComponent(token)}`)
    let set = listeners.get(event)
    if (!set) {
      const fresh = new Set<(p: unknown) => void>()
      listeners.set(event, fresh)
      source.addEventListener(event, (e) => {
        let data: unknown
        try {
          data = JSON.parse((e as MessageEvent<string>).data) as unknown
        } catch {
          return
        }
        for (const l of fresh) l(data)
      })
      set = fresh
    }
    set.add(listener)
    return () => set.delete(listener)
  }
  return api as Api
}

export const transport: 'electron' | 'http' = window.api ? 'electron' : 'http'
export const api: Api = window.api ?? httpBridge()

type LockedListener = () => void
const lockedListeners = new Set<LockedListener>()
/** Called whenever a call fails because the vault is locked (the session store shows the unlock screen). */
export function onVaultLockedError(listener: LockedListener): () => void {
  lockedListeners.add(listener)
  return () => lockedListeners.delete(listener)
}

/** Calls a channel and unwraps the envelope: the value, or an ApiFailure carrying code, message and fields. */
export async function call<C extends Channel>(channel: C, input: InputOf<C>): Promise<OutputOf<C>> {
  const fn = api[channel] as (i: InputOf<C>) => Promise<Envelope<OutputOf<C>>>
  let envelope: Envelope<OutputOf<C>>
  try {
    envelope = await fn(input)
  } catch (err) {
    // Electron's invoke can reject (e.g. the main process went away): same shape as any other failure.
    throw new ApiFailure({ code: 'OFFLINE', message: err instanceof Error ? err.message : String(err) })
  }
  if (!envelope.ok) {
    if (envelope.error.code === 'VAULT_LOCKED') for (const l of lockedListeners) l()
    throw new ApiFailure(envelope.error)
  }
  return envelope.value
}

export { describeError, messageOf } from './errors'
