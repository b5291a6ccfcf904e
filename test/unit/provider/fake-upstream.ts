/**
 * An in-memory stand-in for in.php/res.php behind an injected `fetch`: no sockets. Each call is recorded (URL,
 * parsed body, whether its signal was aborted) and answered by a handler the test supplies.
 */
export interface FakeCall {
  url: string
  path: 'in.php' | 'res.php'
  params: Record<string, string>
  signal: AbortSignal | undefined
}

/** A reply: a protocol object (sent as JSON), a raw Response, or an Error to throw (a network failure). */
export type FakeReply = { status: 0 | 1; request: unknown } | Response | Error

export function fakeUpstream(handler: (call: FakeCall) => FakeReply | Promise<FakeReply>): {
  fetch: typeof fetch
  calls: FakeCall[]
  inFlight: () => number
  maxInFlight: () => number
} {
  const calls: FakeCall[] = []
  let inFlight = 0
  let maxInFlight = 0
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input)
    const params = Object.fromEntries(new URLSearchParams(String(init?.body ?? '')))
    const call: FakeCall = {
      url,
      path: url.endsWith('in.php') ? 'in.php' : 'res.php',
      params,
      signal: init?.signal ?? undefined,
    }
    calls.push(call)
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    try {
      if (call.signal?.aborted) throw new DOMException('aborted', 'AbortError')
      const reply = await Promise.race([
        Promise.resolve(handler(call)),
        new Promise<never>((_, reject) =>
          call.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), {
            once: true,
          }),
        ),
      ])
      if (reply instanceof Error) throw new TypeError('fetch failed', { cause: reply })
      if (reply instanceof Response) return reply
      return new Response(JSON.stringify(reply), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      })
    } finally {
      inFlight--
    }
  }
  return { fetch: fakeFetch as typeof fetch, calls, inFlight: () => inFlight, maxInFlight: () => maxInFlight }
}

export const never = (): Promise<never> => new Promise<never>(() => {})
