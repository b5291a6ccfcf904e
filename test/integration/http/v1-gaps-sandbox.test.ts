import { afterEach, describe, it } from 'vitest'
import { SANDBOX_DEMO_KEY, startSandbox, type Sandbox } from '../../../electron/engine/sandbox'
import { checkV1Gaps } from '../../support/v1-gaps'

let sandbox: Sandbox | undefined
afterEach(async () => {
  await sandbox?.close()
  sandbox = undefined
})

describe('Sandbox: the 2captcha v1 details outside clients rely on', () => {
  it('honours header_acao, error_text, plain text without json=1, 414/431, JSON sent as text/plain', async () => {
    sandbox = await startSandbox({ speed: 1_000 })
    await checkV1Gaps(sandbox.url, SANDBOX_DEMO_KEY)
  })
})
