/** The test solve: one at a time, with live stages from solve.progress and the result (or the limit that refused). */
import { create } from 'zustand'
import type { CaptchaRequest } from '@shared/captcha'
import { call, describeError } from '../api/client'
import { onEvent, type SolveProgress, type SolveResult } from '../api/events'

export interface Stage {
  stage: 'sent' | SolveProgress['stage']
  at: number
  text: string
}

interface SolveState {
  running: boolean
  tenantId: string | null
  attemptId: string | null
  startedAt: number | null
  stages: Stage[]
  result: SolveResult | null
  /** Epoch ms after which a refused solve may be retried. */
  retryAt: number | null
  error: string | null
  fieldErrors: Record<string, string>
  run(tenantId: string, request: CaptchaRequest): Promise<void>
  reset(): void
}

const describeStage = (e: SolveProgress): string =>
  e.stage === 'admitted'
    ? 'Admitted: the tenant’s limits were checked and a slot reserved.'
    : e.stage === 'submitted'
      ? `Accepted upstream as task ${e.taskId}; waiting for the answer…`
      : 'Finished.'

function endedText(r: SolveResult): string {
  if (r.status === 'solved') return 'Answer received.'
  if (r.status === 'rejected')
    return `Refused by the ${r.limit.replaceAll('_', ' ')} limit; nothing was sent upstream.`
  if (r.status === 'timed_out') return 'Timed out: no answer in time.'
  if (r.status === 'cancelled') return 'Cancelled.'
  return `Failed: ${r.code}.`
}

export const useSolve = create<SolveState>((set, get) => ({
  running: false,
  tenantId: null,
  attemptId: null,
  startedAt: null,
  stages: [],
  result: null,
  retryAt: null,
  error: null,
  fieldErrors: {},
  async run(tenantId, request) {
    if (get().running) return
    const at = Date.now()
    set({
      running: true,
      tenantId,
      attemptId: null,
      startedAt: at,
      stages: [{ stage: 'sent', at, text: 'Sent to the engine…' }],
      result: null,
      retryAt: null,
      error: null,
      fieldErrors: {},
    })
    try {
      const result = await call('solve.test', { tenantId, request })
      set({
        result,
        stages: [
          ...get().stages.map((st) =>
            st.stage === 'submitted'
              ? { ...st, text: st.text.replace(/; waiting for the answer…$/, '.') }
              : st,
          ),
          { stage: 'ended', at: Date.now(), text: endedText(result) },
        ],
        retryAt:
          result.status === 'rejected' && result.retryAfterMs > 0 ? Date.now() + result.retryAfterMs : null,
      })
    } catch (err) {
      const d = describeError(err)
      set({
        // Nothing ran: no "Sent to the engine…" left standing over an error.
        stages: [],
        error: [d.message, d.hint].filter(Boolean).join(' '),
        fieldErrors: d.fields,
        retryAt: d.retryAfterMs ? Date.now() + d.retryAfterMs : null,
      })
    } finally {
      set({ running: false })
    }
  },
  reset: () => set({ stages: [], result: null, error: null, fieldErrors: {}, retryAt: null }),
}))

/** Follows the running solve's progress events: the first event for the tenant names the attempt to follow. */
export function connectSolve(): () => void {
  return onEvent('solve.progress', (e) => {
    const s = useSolve.getState()
    if (!s.running || e.tenantId !== s.tenantId || e.stage === 'ended') return
    if (s.attemptId && e.attemptId !== s.attemptId) return
    useSolve.setState({
      attemptId: e.attemptId,
      stages: [...s.stages, { stage: e.stage, at: e.at, text: describeStage(e) }],
    })
  })
}
