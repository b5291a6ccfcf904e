/**
 * The JSON API's view of a stored gateway task, and its callbackUrl: stored with the task when it is created (with
 * the caller's address and the id style its reply uses), POSTed the getTaskResult reply by the gateway core when the
 * task ends — also when recovery ends it after a restart. Reading a task here never marks it fetched.
 */
import type { CaptchaType } from '@shared/captcha'
import type { GatewayTask } from '../gateway-tasks'
import { tenantCode } from '../tenant-codes'
import { resultReply, type JsonApiTask } from './json-api'

interface StoredCallback {
  url: string
  ip: string
  /** anti-captcha and 2captcha clients read task ids as numbers; CapSolver's as strings. */
  numericId: boolean
}

/** A task as the JSON API reads it. */
export function jsonViewOf(task: GatewayTask): JsonApiTask {
  const base = {
    type: task.captchaType as CaptchaType,
    createdAt: task.createdAt,
    endedAt: task.endedAt ?? undefined,
  }
  if (task.state === 'pending') return { ...base, state: 'pending' }
  if (task.state === 'failed') return { ...base, state: 'failed', code: tenantCode(task.code) }
  return { ...base, state: 'solved', answer: task.answer ?? '', priceMicros: task.priceMicros ?? 0 }
}

/** What the task store keeps for a callbackUrl. */
export function storedCallback(url: URL, ip: string, numericId: boolean): string {
  return JSON.stringify({ url: url.href, ip, numericId } satisfies StoredCallback)
}

/** The POST an ended task's callbackUrl gets; undefined without one (or for a stored value that is not ours). */
export function jsonCallbackFor(task: GatewayTask): { url: URL; body: string } | undefined {
  if (!task.callback || task.state === 'pending') return undefined
  let stored: Partial<StoredCallback>
  let url: URL
  try {
    stored = JSON.parse(task.callback) as Partial<StoredCallback>
    url = new URL(String(stored.url))
  } catch {
    return undefined
  }
  if (typeof stored.ip !== 'string') return undefined
  const taskId = stored.numericId ? Number(task.taskId) : task.taskId
  return { url, body: JSON.stringify({ ...resultReply(jsonViewOf(task), stored.ip, task.taskId), taskId }) }
}
