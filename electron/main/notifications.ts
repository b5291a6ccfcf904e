// Desktop notifications for alerts (limits near, budget near, low upstream balance). Text only: never a key.
import { Notification } from 'electron'
import type { Engine } from '../engine/app/engine'

export function notifyAlerts(engine: Pick<Engine, 'on'>, onClick?: () => void): () => void {
  return engine.on('alert.raised', (alert) => {
    if (!Notification.isSupported()) return
    const n = new Notification({ title: 'CaptchaDesk alert', body: alert.message, silent: false })
    if (onClick) n.on('click', onClick)
    n.show()
  })
}
