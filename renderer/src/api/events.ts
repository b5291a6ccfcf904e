/**
 * Typed event payloads. The contract names the events but does not describe their payloads, so the console checks
 * the few fields it reads and ignores anything that does not fit.
 */
import type { OutputOf } from '@shared/ipc-contract'
import { api } from './client'

export type SolveResult = OutputOf<'solve.test'>
export type Alert = OutputOf<'alerts.list'>[number]

export type SolveProgress =
  | { stage: 'admitted'; attemptId: string; tenantId: string; at: number }
  | { stage: 'submitted'; attemptId: string; tenantId: string; taskId: string; at: number }
  | { stage: 'ended'; attemptId: string; tenantId: string; result: SolveResult; at: number }

export interface EventPayloads {
  'solve.progress': SolveProgress
  'alert.raised': Alert
  'alert.resolved': Alert
  'vault.locked': { reason: string }
  'export.progress': { jobId: string; rows: number; done: boolean }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

const GUARDS: { [K in keyof EventPayloads]: (v: unknown) => v is EventPayloads[K] } = {
  'solve.progress': (v): v is SolveProgress =>
    isObject(v) &&
    typeof v.stage === 'string' &&
    typeof v.attemptId === 'string' &&
    typeof v.tenantId === 'string',
  'alert.raised': (v): v is Alert => isObject(v) && typeof v.id === 'number' && typeof v.message === 'string',
  'alert.resolved': (v): v is Alert => isObject(v) && typeof v.id === 'number',
  'vault.locked': (v): v is { reason: string } => isObject(v),
  'export.progress': (v): v is EventPayloads['export.progress'] =>
    isObject(v) && typeof v.rows === 'number' && typeof v.done === 'boolean',
}

/** Subscribes to one engine event; returns the unsubscribe function. */
export function onEvent<K extends keyof EventPayloads>(
  event: K,
  listener: (payload: EventPayloads[K]) => void,
): () => void {
  const guard = GUARDS[event] as (v: unknown) => v is EventPayloads[K]
  return api.on(event, (payload) => {
    if (guard(payload)) listener(payload)
  })
}
