/**
 * A JSON API callbackUrl is kept with the task, so it is called when the task ends even after a restart (the task
 * ended by recovery on a new process), and calling it does not count as the tenant fetching the answer.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/engine/db/database'
import { GroupCommitter } from '../../../electron/engine/db/group-commit'
import { BadKeyGuard } from '../../../electron/engine/gateway/bad-key-guard'
import { createGatewayCore } from '../../../electron/engine/gateway/gateway-core'
import { openGatewayTasks } from '../../../electron/engine/gateway/gateway-tasks'
import { storedCallback } from '../../../electron/engine/gateway/json-api/callbacks'

let dir: string
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('JSON API callbacks', () => {
  it('are stored with the task and POSTed when it ends, also by the process after a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'json-callbacks-'))
    const received: unknown[] = []
    const listener = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        received.push(JSON.parse(body))
        res.end('ok')
      })
    })
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r))
    try {
      const url = new URL(`http://127.0.0.1:${(listener.address() as { port: number }).port}/cb`)
      const before = openDatabase(join(dir, 'engine.db'))
      const id = await openGatewayTasks(before, { commits: new GroupCommitter(before) }).announce({
        tenantId: 't1',
        attemptId: 'A1',
        captchaType: 'turnstile',
        pingback: null,
        callback: storedCallback(url, '203.0.113.7', true),
        createdAt: 1_000,
      })
      before.close() // the process ends here

      const db = openDatabase(join(dir, 'engine.db'))
      const tasks = openGatewayTasks(db, { now: () => 2_000, commits: new GroupCommitter(db) })
      createGatewayCore({
        keys: { lookup: () => undefined } as never,
        solver: {} as never,
        tenants: { get: () => undefined },
        tasks,
        guard: new BadKeyGuard(),
        balance: () => 0,
        allowLoopbackPingbacks: true,
      })
      await tasks.deliver('A1', { status: 'solved', answer: 'TOKEN', priceMicros: 3_000 }) // recovery's answer
      for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
      expect(received).toEqual([
        {
          errorId: 0,
          status: 'ready',
          solution: { token: 'TOKEN' },
          cost: '0.003000',
          ip: '203.0.113.7',
          createTime: 1,
          endTime: 2,
          solveCount: 1,
          taskId: Number(id),
        },
      ])
      expect(tasks.get(id)?.fetchedAt).toBeNull() // still kept for the tenant's own getTaskResult
      db.close()
    } finally {
      listener.close()
    }
  })
})
