// Lock the vault when the machine sleeps or the screen locks (keys must not stay in memory unattended).
import { powerMonitor } from 'electron'
import type { KeyVault } from '../engine/vault'

export function lockOnSuspend(vault: Pick<KeyVault, 'lock'>): void {
  powerMonitor.on('suspend', () => vault.lock('suspend'))
  powerMonitor.on('lock-screen', () => vault.lock('screen locked'))
}
