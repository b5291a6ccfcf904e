/**
 * An unlock nobody typed — the headless host's passphrase file, the desktop app's OS keystore at launch — is
 * audited as such, settles what a previous run left open, and resumes serving if it is switched on.
 */
import type { Engine } from './engine'
import type { GatewayController } from './gateway-controller'

export async function unlockUnattended(
  engine: Engine,
  gateway: GatewayController,
  how: 'passphrase file' | 'device',
  unlock: () => Promise<void>,
): Promise<void> {
  await unlock()
  engine.audit.record({
    actor: 'system',
    action: 'vault.unlock',
    subjectType: 'vault',
    details: { with: how, unattended: true },
  })
  await engine.afterUnlock()
  await gateway.resume()
}
