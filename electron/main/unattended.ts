// Unattended start for the desktop app: after a reboot (optionally launched at login), a vault with device unlock
// opens through the OS keystore without anyone typing, and serving resumes if it was on. Without device unlock it
// waits for the passphrase, and the console's frame says so.
import { app } from 'electron'
import type { Engine } from '../engine/app/engine'
import type { GatewayController } from '../engine/app/gateway-controller'
import { unlockUnattended } from '../engine/app/unattended-unlock'

export function applyLoginItem(open: boolean): void {
  try {
    if (app.getLoginItemSettings().openAtLogin !== open) app.setLoginItemSettings({ openAtLogin: open })
  } catch {
    // some Linux desktops have no login items; the setting then has no effect (the README says so)
  }
}

export async function resumeServingUnattended(engine: Engine, gateway: GatewayController): Promise<void> {
  if (!engine.settings.get().gateway.enabled) return
  if (engine.vault.isUnlocked() || !engine.vault.deviceUnlockEnabled()) {
    await gateway.resume() // declines by itself while the keys are locked
    return
  }
  try {
    await unlockUnattended(engine, gateway, 'device', () => engine.vault.unlockWithDevice())
  } catch {
    // the keystore refused: the operator unlocks with the passphrase, and serving resumes then
  }
}
