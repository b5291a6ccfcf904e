/**
 * Child process for the crash tests: runs a vault operation and dies by SIGKILL at a chosen write step (a real crash:
 * no finally blocks, no flushing), or loops forever alternating passphrases until the parent kills it.
 * Usage: crash-child.ts <vaultPath> <point|loop> <change|rotate|set> [current passphrase, for loop]
 */
import { KeyVault, type WriteHooks } from '../../../electron/engine/vault'

const [path, point, op, given] = process.argv.slice(2) as [string, string, string, string | undefined]
const PASS = 'correct horse battery'
const NEW_PASS = 'a brand new passphrase'
const fast = { kdf: { N: 2 ** 10, r: 8, p: 1 }, allowWeakKdfForTests: true }

const die = (): never => {
  process.kill(process.pid, 'SIGKILL')
  throw new Error('unreachable')
}
const hooks: WriteHooks = point === 'loop' ? {} : { [point]: die }

if (point === 'loop') {
  const v = KeyVault.open(path, fast)
  let current = given ?? PASS
  for (let i = 0; i < 100_000; i++) {
    const next = current === PASS ? NEW_PASS : PASS
    if (op === 'rotate') await v.rotateDataKey(current)
    else await v.changePassphrase(current, next)
    if (op !== 'rotate') current = next
    process.stdout.write('.')
  }
} else {
  const v = KeyVault.open(path, { ...fast, hooks })
  await v.unlock(PASS)
  if (op === 'change') await v.changePassphrase(PASS, NEW_PASS)
  else if (op === 'rotate') await v.rotateDataKey(PASS)
  else v.setTenantKey('t_c', 'CCCCddddEEEEffffGGGGhhhhIIIIjjj3')
  process.exit(3) // the hook should have killed us before this
}
