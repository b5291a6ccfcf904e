// Sandboxed preload: a narrow window.api with one function per contract channel and a listener for contract
// events. No raw ipcRenderer, no generic pass-through, and the IpcRendererEvent never reaches the page.
import { contextBridge, ipcRenderer } from 'electron'
import { CHANNELS, EVENTS, type EventName } from '@shared/ipc-channels'

const api: Record<string, unknown> = {}
for (const channel of CHANNELS) api[channel] = (input: unknown) => ipcRenderer.invoke(channel, input)
api.on = (event: EventName, listener: (payload: unknown) => void) => {
  if (!(EVENTS as readonly string[]).includes(event)) throw new Error(`unknown event ${String(event)}`)
  const wrapped = (_e: unknown, payload: unknown): void => listener(payload)
  ipcRenderer.on(`event:${event}`, wrapped)
  return () => ipcRenderer.removeListener(`event:${event}`, wrapped)
}
contextBridge.exposeInMainWorld('api', Object.freeze(api))
