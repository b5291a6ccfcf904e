import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningHost } from '../../../electron/engine/host/run-host'
import { rawHttp, startTestHost } from './test-host'

let running: RunningHost
let dir: string

beforeAll(async () => {
  ;({ running, dir } = await startTestHost('host-'))
  mkdirSync(join(dir, 'renderer', 'assets'), { recursive: true })
  writeFileSync(join(dir, 'secret.txt'), 'outside the console folder')
})
afterAll(async () => {
  await running.close()
  rmSync(dir, { recursive: true, force: true })
})

const raw = (path: string, headers: Record<string, string>, method = 'GET', body?: string) =>
  rawHttp(running.host.port, path, headers, method, body)

const origin = () => running.host.origin
const good = () => ({
  host: `127.0.0.1:${running.host.port}`,
  origin: origin(),
  'x-captchadesk-token': running.host.token,
  'content-type': 'application/json',
})
const invoke = (channel: string, input: unknown, headers = good()) =>
  raw(`/api/invoke/${channel}`, headers, 'POST', JSON.stringify({ input }))

describe('headless host', () => {
  it('serves the console with a strict CSP, and only from its own folder', async () => {
    const home = await raw('/', { host: `127.0.0.1:${running.host.port}` })
    expect(home.status).toBe(200)
    expect(String(home.headers['content-security-policy'])).toContain("script-src 'self'")
    expect(home.headers['cache-control']).toBe('no-store')
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/../../secret.txt',
    ]) {
      const r = await raw(p, { host: `127.0.0.1:${running.host.port}` })
      expect(r.text).not.toContain('outside the console folder')
    }
  })

  it('refuses a foreign Host header (DNS rebinding) and foreign origins', async () => {
    expect((await raw('/', { host: 'evil.example' })).status).toBe(421)
    expect((await invoke('app.status', {}, { ...good(), origin: 'https://evil.example' })).status).toBe(403)
    expect(
      (await invoke('app.status', {}, { ...good(), host: `attacker.test:${running.host.port}` })).status,
    ).toBe(421)
  })

  it('requires the token on every API call', async () => {
    expect((await invoke('app.status', {}, { ...good(), 'x-captchadesk-token': 'wrong' })).status).toBe(401)
    const { 'x-captchadesk-token': _t, ...noToken } = good()
    expect((await invoke('app.status', {}, noToken as never)).status).toBe(401)
    expect((await raw(`/api/events`, { host: `127.0.0.1:${running.host.port}` })).status).toBe(401)
    expect((await raw(`/exports/x.csv`, { host: `127.0.0.1:${running.host.port}` })).status).toBe(401)
  })

  it('bridges the contract: envelopes, validation errors, unknown channels', async () => {
    const status = JSON.parse((await invoke('app.status', {})).text)
    expect(status).toMatchObject({ ok: true, value: { vault: { exists: false }, sandbox: true } })
    expect(JSON.parse((await invoke('vault.create', { passphrase: 'short' })).text)).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION' },
    })
    expect(JSON.parse((await invoke('nope.nothing', {})).text)).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_CHANNEL' },
    })
    expect(JSON.parse((await invoke('tenants.list', {})).text)).toMatchObject({ ok: true })
    const bad = await raw('/api/invoke/app.status', good(), 'POST', '{not json')
    expect(bad.status).toBe(400)
  })

  it('refuses device unlock where no system keystore exists, with a clear error', async () => {
    expect(
      JSON.parse((await invoke('vault.create', { passphrase: 'host test passphrase' })).text),
    ).toMatchObject({ ok: true })
    const r = JSON.parse((await invoke('vault.setDeviceUnlock', { enabled: true })).text)
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'VAULT', message: expect.stringContaining('No system keystore') },
    })
    expect(JSON.parse((await invoke('vault.unlockWithDevice', {})).text)).toMatchObject({
      ok: false,
      error: { code: 'VAULT' },
    })
  })

  it('streams engine events over SSE', async () => {
    const ctl = new AbortController()
    const res = await fetch(`${origin()}/api/events?token=${running.host.token}`, { signal: ctl.signal })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    setTimeout(() => running.engine.emit('vault.locked', { reason: 'test' }), 50)
    while (!text.includes('event: vault.locked')) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value)
    }
    ctl.abort()
    expect(text).toContain('data: {"reason":"test"}')
  })
})

describe('headless host shutdown', () => {
  it('closes with a console listening for events while the vault locks (no write after the stream ended)', async () => {
    const { running: host, dir: hostDir } = await startTestHost('host-close-')
    const errors: unknown[] = []
    const onError = (e: unknown) => errors.push(e)
    process.on('uncaughtException', onError)
    try {
      const base = host.host.origin
      const created = await rawHttp(
        host.host.port,
        '/api/invoke/vault.create',
        {
          host: `127.0.0.1:${host.host.port}`,
          origin: base,
          'x-captchadesk-token': host.host.token,
          'content-type': 'application/json',
        },
        'POST',
        JSON.stringify({ input: { passphrase: 'host close passphrase' } }),
      )
      expect(JSON.parse(created.text)).toMatchObject({ ok: true })
      const res = await fetch(`${base}/api/events?token=${host.host.token}`)
      const reader = res.body!.getReader()
      await reader.read() // ': connected'
      // Closing the host ends every stream; an engine event in that moment (closing locks the vault, which emits
      // vault.locked) must not be written to a stream that has ended.
      const closing = host.host.close()
      host.engine.emit('vault.locked', { reason: 'test' })
      await closing
      await host.close()
      // The console's stream ends (read until done), and nothing threw in the host.
      for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break
      await new Promise((r) => setTimeout(r, 50))
      expect(errors).toEqual([])
    } finally {
      process.off('uncaughtException', onError)
      rmSync(hostDir, { recursive: true, force: true })
    }
  })
})
