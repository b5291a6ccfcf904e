// Unattended start for the desktop app: after a reboot (optionally launched at login), a vault with device unlock
// opens through the OS keystore without anyone typing, and serving resumes if it was on. Without device unlock it
// waits for the passphrase, and the console's frame says so.
import { app } from 'electron'
import type { Engine } from '../engine/app/engine'
import type { GatewayController } from '../engine/app/gateway-controller'

export function applyLoginItem(open: boolean): void {
  try {
    if (app.getLoginItemSettings().openAtLogin !== open) app.setLoginItemSettings({ openAtLogin: open })
  } catch {
    // some Linux desktops have no login items; the setting then has no effect (the README says so)
  }
}

export async function resumeServingUnattended(engine: Engine, gateway: GatewayController): Promise<void> {
  if (!engine.settings.get().gateway.enabled) return
  if (!engine.vault.isUnlocked() && engine.vault.deviceUnlockEnabled()) {
    try {
      await engine.vault.unlockWithDevice()
      engine.audit.record({
        actor: 'system',
        action: 'vault.unlock',
        subjectType: 'vault',
        details: { by: 'device (unattended start)' },
      })
      await engine.afterUnlock()
    } catch {
      return // the keystore refused: the operator unlocks with the passphrase, and serving resumes then
    }
  }
  await gateway.resume()
}
