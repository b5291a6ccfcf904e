/** Opens an engine, writes through the ledger, closes, and says so: nothing else keeps this process alive. */
import { createEngine } from '../../../electron/engine/app/engine'

const engine = await createEngine({ dataDir: process.argv[2]!, embeddedSandbox: false })
await engine.vault.create('close test passphrase')
const t = engine.tenants.create({ name: 'Close Co' }, 'test')
await engine.ledger.begin({
  attemptId: 'a1',
  tenantId: t.id,
  captchaType: 'image',
  providerAccount: 'p',
  source: 'api',
  createdAt: Date.now(),
  reservedMicros: 0,
})
await engine.close(0)
console.log('closed')
