/**
 * The console's one way to reach the engine: window.api in Electron (the preload builds it from the contract), or the
 * headless host's HTTP bridge implementing the same Api type.
 */
import type { Api, ApiError, Channel, Envelope, EventName, InputOf, OutputOf } from '@shared/ipc-contract'
import { CHANNELS } from '@shared/ipc-channels'

declare global {
  interface Window {
    api?: Api
  }
}

const TOKEN_KEY = 'captchadesk.token'

function bridgeToken(): string {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.pathname + url.search + url.hash)
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? ''
}

function httpBridge(): Api {
  const token = bridgeToken()
  const api: Record<string, unknown> = {}
  for (const channel of CHANNELS) {
    api[channel] = async (input: unknown): Promise<Envelope<unknown>> => {
      try {
        const res = await fetch(`/api/invoke/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-captchadesk-token': token },
          body: JSON.stringify({ input }),
        })
        return (await res.json()) as Envelope<unknown>
      } catch {
        return {
          ok: false,
          error: {
            code: 'OFFLINE',
            message: 'The CaptchaDesk host is not reachable. Is `npm run serve` still running?',
          },
        }
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
        const data = JSON.parse((e as MessageEvent<string>).data) as unknown
        for (const l of fresh) l(data)
      })
      set = fresh
    }
    set.add(listener)
    return () => set.delete(listener)
  }
  return api as Api
}

export const api: Api = window.api ?? httpBridge()
export const transport: 'electron' | 'http' = window.api ? 'electron' : 'http'

export class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message)
  }
}

/** Calls a channel and unwraps the envelope: the value, or an ApiFailure carrying code, message and fields. */
export async function call<C extends Channel>(channel: C, input: InputOf<C>): Promise<OutputOf<C>> {
  const fn = api[channel] as (i: InputOf<C>) => Promise<Envelope<OutputOf<C>>>
  const envelope = await fn(input)
  if (!envelope.ok) throw new ApiFailure(envelope.error)
  return envelope.value
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiFailure) {
    const e = err.error
    const fields =
      e.fields && e.fields.length > 1
        ? ` (${e.fields.map((f) => `${f.field}: ${f.message}`).join('; ')})`
        : ''
    const retry = e.retryAfterMs ? ` Try again in ${Math.ceil(e.retryAfterMs / 1000)} s.` : ''
    return `${e.message}${fields}${retry}`
  }
  return err instanceof Error ? err.message : String(err)
}
