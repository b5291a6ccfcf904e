/** The log file: an INTERNAL reply's id is in it, and no secret ever is (same forms the vault scan looks for). */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatch } from '../../../electron/engine/app/dispatch'
import { createEngine, type Engine } from '../../../electron/engine/app/engine'
import { createGatewayController } from '../../../electron/engine/app/gateway-controller'
import { createHandlers } from '../../../electron/engine/app/handlers'
import { findLeaks, PASS, PLATFORM, TENANT_A } from '../vault/helpers'

let dir: string
let engine: Engine
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'log-'))
  engine = await createEngine({ dataDir: dir, embeddedSandbox: false, weakKdfForTests: true })
})
afterEach(async () => {
  await engine.close()
  rmSync(dir, { recursive: true, force: true })
})

const logText = (): string =>
  readdirSync(join(dir, 'logs'))
    .map((f) => readFileSync(join(dir, 'logs', f), 'latin1'))
    .join('\n')

describe('log file', () => {
  it('a forced internal error in a handler replies with an id that is in the log file, with the stack', async () => {
    const handlers = createHandlers({
      engine,
      gateway: createGatewayController(engine),
      version: 't',
      exportTarget: async () => null,
    })
    handlers['settings.get'] = async () => {
      throw new TypeError('boom: the settings went missing')
    }
    const reply = await dispatch(handlers, 'settings.get', {}, engine.log)
    expect(reply.ok).toBe(false)
    if (reply.ok) return
    expect(reply.error.code).toBe('INTERNAL')
    expect(reply.error.errorId).toMatch(/^[0-9a-f]{10}$/)
    expect(reply.error.message).toContain(reply.error.errorId)
    expect(reply.error.message).not.toContain('boom')
    const lines = logText()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const line = lines.find((l) => l.errorId === reply.error.errorId)
    expect(line).toMatchObject({ level: 50, channel: 'settings.get', msg: 'internal error' })
    expect(JSON.stringify(line)).toContain('boom: the settings went missing')
    expect(JSON.stringify(line)).toContain('TypeError')
  })

  it('secret scan: keys and passphrases in errors, details and messages never reach the log file', async () => {
    const leaky = new Error(`upstream said ERROR_BAD_PARAMETERS ${PLATFORM} for key=${TENANT_A}`)
    const handlers = createHandlers({
      engine,
      gateway: createGatewayController(engine),
      version: 't',
      exportTarget: async () => null,
    })
    handlers['tenants.list'] = async () => {
      throw leaky
    }
    await dispatch(handlers, 'tenants.list', {}, engine.log)
    engine.log.warn({ passphrase: PASS, nested: { apiKey: TENANT_A, note: `k ${PLATFORM}` } }, 'details')
    engine.log.error(`message text with ${PLATFORM} inside`)
    engine.log.error({ err: leaky }, 'as err')
    const text = logText()
    expect(text).toContain('[redacted]')
    expect(findLeaks(text)).toEqual([])
    for (const f of readdirSync(join(dir, 'logs')))
      expect(statSync(join(dir, 'logs', f)).mode & 0o077).toBe(0)
  })
})
