/** The sandboxed preload: window.api is exactly the contract (one function per channel + on), nothing raw. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { CHANNELS } from '@shared/ipc-channels'
import { electronDouble } from './electron-double'

vi.mock('electron', () => ({ ...electronDouble.module, default: electronDouble.module }))
await import('../../../electron/preload/index')
const api = electronDouble.exposed.get('api') as Record<string, unknown> & {
  on(event: string, l: (p: unknown) => void): () => void
}

describe('preload', () => {
  it('exposes only window.api: one function per contract channel and on()', () => {
    expect([...electronDouble.exposed.keys()]).toEqual(['api'])
    expect(Object.keys(api).sort()).toEqual([...CHANNELS, 'on'].sort())
    for (const k of Object.keys(api)) expect(typeof api[k], k).toBe('function')
    expect(Object.isFrozen(api)).toBe(true)
    for (const raw of ['invoke', 'send', 'ipcRenderer', 'sendSync', 'removeAllListeners'])
      expect(api[raw]).toBeUndefined()
  })

  it('each function invokes its own channel with the input as given', async () => {
    await (api['tenants.get'] as (i: unknown) => Promise<unknown>)({ id: 'acme' })
    expect(electronDouble.invoke).toHaveBeenLastCalledWith('tenants.get', { id: 'acme' })
  })

  it('hands listeners the payload only, never the IpcRendererEvent; unsubscribes', () => {
    const seen: unknown[][] = []
    const off = api.on('vault.locked', (...args: unknown[]) => seen.push(args))
    const rawEvent = { sender: { send: () => undefined }, ports: [] }
    electronDouble.rendererBus.emit('event:vault.locked', rawEvent, { reason: 'idle' })
    expect(seen).toEqual([[{ reason: 'idle' }]])
    off()
    electronDouble.rendererBus.emit('event:vault.locked', rawEvent, { reason: 'again' })
    expect(seen).toHaveLength(1)
  })

  it('refuses events outside the contract (no generic listener)', () => {
    expect(() => api.on('ELECTRON_BROWSER_WINDOW_ALERT', () => undefined)).toThrow(/unknown event/)
    expect(() => api.on('app.status', () => undefined)).toThrow(/unknown event/)
  })

  it('stays tiny: imports only electron and the channel-name list (no zod in a sandboxed preload)', () => {
    const src = readFileSync(join(import.meta.dirname, '../../../electron/preload/index.ts'), 'utf8')
    const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1])
    expect(imports.sort()).toEqual(['@shared/ipc-channels', 'electron'])
    const channels = readFileSync(join(import.meta.dirname, '../../../shared/ipc-channels.ts'), 'utf8')
    expect(channels).not.toMatch(/^import /m)
  })
})
