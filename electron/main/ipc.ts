// One typed registration for every contract channel: the sender frame must be the app's own main frame, the input
// is validated against the contract, and errors come back in the envelope.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { CHANNELS, EVENTS, PASSIVE_CHANNELS } from '@shared/ipc-channels'
import { dispatch } from '../engine/app/dispatch'
import type { Engine } from '../engine/app/engine'
import type { Handlers } from '../engine/app/handlers'
import type { Logger } from '../engine/log/logger'
import { isAppUrl } from './app-origin'

export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'senderFrame' | 'sender'>): boolean {
  const frame = event.senderFrame
  if (!frame) return false
  if (frame.parent !== null) return false
  return isAppUrl(frame.url)
}

export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle'>,
  handlers: Handlers,
  log: Logger,
  onActivity: () => void = () => undefined,
): void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, async (event, input: unknown) => {
      if (!isTrustedSender(event))
        return {
          ok: false,
          error: { code: 'FORBIDDEN', message: 'This request did not come from the CaptchaDesk console.' },
        }
      if (!PASSIVE_CHANNELS.includes(channel)) onActivity()
      return dispatch(handlers, channel, input, log)
    })
  }
}

/** Forwards engine events to the console window (only the payload, never an IpcRendererEvent). */
export function forwardEvents(engine: Engine, target: () => WebContents | undefined): Array<() => void> {
  return EVENTS.map((name) =>
    engine.on(name, (payload) => {
      const wc = target()
      if (wc && !wc.isDestroyed()) wc.send(`event:${name}`, payload)
    }),
  )
}
