/** What a store action hands back to a form: the value, or what went wrong with per-field messages. */
import { describeError } from '../api/client'

export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; message: string; fields: Record<string, string>; retryAfterMs: number | null }

export async function attempt<T>(action: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await action() }
  } catch (err) {
    const d = describeError(err)
    return {
      ok: false,
      message: [d.message, d.hint].filter(Boolean).join(' '),
      fields: d.fields,
      retryAfterMs: d.retryAfterMs,
    }
  }
}
