/** Channel and event names only: tiny, so the sandboxed preload can import it without zod. */
export const CHANNELS = [
  'app.status',
  'vault.status',
  'vault.create',
  'vault.unlock',
  'vault.lock',
  'vault.changePassphrase',
  'vault.rotateDataKey',
  'vault.unlockWithDevice',
  'vault.setDeviceUnlock',
  'vault.describeKeys',
  'vault.setPlatformKey',
  'vault.removePlatformKey',
  'vault.setTenantKey',
  'vault.removeTenantKey',
  'tenants.list',
  'tenants.get',
  'tenants.create',
  'tenants.update',
  'tenants.suspend',
  'tenants.resume',
  'tenants.delete',
  'solve.test',
  'solve.cancel',
  'usage.dashboard',
  'usage.byDay',
  'balances.check',
  'balances.history',
  'billing.preview',
  'billing.export',
  'credit.balances',
  'credit.entries',
  'credit.record',
  'billing.list',
  'billing.mark',
  'alerts.webhookSecret',
  'alerts.list',
  'alerts.ack',
  'audit.list',
  'settings.get',
  'settings.update',
  'gateway.status',
  'gateway.start',
  'gateway.stop',
  'gateway.issueKey',
  'gateway.rotateKey',
  'gateway.revokeKey',
  'gateway.bans',
  'gateway.liftBan',
  'gateway.caCertificate',
  'vault.checkTenantKey',
  'usage.recent',
] as const
export type Channel = (typeof CHANNELS)[number]

export const EVENTS = [
  'solve.progress',
  'alert.raised',
  'alert.resolved',
  'vault.locked',
  'export.progress',
] as const
export type EventName = (typeof EVENTS)[number]

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value)
}

/** Channels the console polls on its own (dashboard refresh): they do not count as operator activity for auto-lock. */
export const PASSIVE_CHANNELS: readonly Channel[] = [
  'app.status',
  'vault.status',
  'usage.dashboard',
  'usage.byDay',
  'alerts.list',
]
