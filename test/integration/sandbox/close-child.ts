/**
 * Child for sandbox-lifecycle.test.ts: leaves long solves, a slow reply and a keep-alive socket open, then closes
 * the Sandbox. The process must exit by itself; it prints CLOSED once close() resolves.
 */
import { request, Agent } from 'node:http'
import { SANDBOX_DEMO_KEY, startSandbox } from '../../../electron/engine/sandbox'

const sb = await startSandbox({ speed: 1 })
const agent = new Agent({ keepAlive: true })
const get = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = request(`${sb.url}${path}`, { agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    req.end()
  })
const q = new URLSearchParams({
  key: SANDBOX_DEMO_KEY,
  method: 'userrecaptcha',
  googlekey: 'k',
  pageurl: 'https://a.example',
})
for (let i = 0; i < 5; i++) await get(`/in.php?${q}`)
sb.setFaults({ slowReplyRate: 1, slowReplyMs: 60_000 })
const pending = get(`/res.php?key=${SANDBOX_DEMO_KEY}&action=getbalance`).catch(() => 'aborted')
await new Promise((r) => setTimeout(r, 50))
await sb.close()
console.log(`CLOSED ${sb.tasks({ status: 'solving' }).length} ${await pending}`)
