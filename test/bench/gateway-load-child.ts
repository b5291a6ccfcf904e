/**
 * Open-loop load generator in its own process: POSTs in.php at a fixed rate, prints latency figures as JSON. The
 * captcha is a Turnstile token task, or with "image" a base64 image of about 11 KB (a 128×64 PNG of noise, which does
 * not compress), as an image client sends it.
 */
import { Agent, request } from 'node:http'
import { makePng } from '../support/images'

const [url, key, rateArg, secondsArg, kind = 'turnstile'] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string?,
]
const rate = Number(rateArg)
const seconds = Number(secondsArg)
const agent = new Agent({ keepAlive: true, maxSockets: 1024 })
const captcha: Record<string, string> =
  kind === 'image'
    ? { method: 'base64', body: makePng(128, 64).toString('base64') }
    : { method: 'turnstile', sitekey: 's', pageurl: 'https://example.com' }
const body = new URLSearchParams({ key, ...captcha, json: '1' }).toString()
const u = new URL(`${url}/in.php`)

function post(): Promise<number> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () =>
          res.statusCode === 200 && text.includes('"status":1')
            ? resolve(performance.now() - t0)
            : reject(new Error(text)),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const lat: number[] = []
let errors = 0
let refused = 0
const samples = new Set<string>()
const total = rate * seconds
const start = performance.now()
const pending: Promise<void>[] = []
for (let i = 0; i < total; i++) {
  const wait = start + (i * 1000) / rate - performance.now()
  if (wait > 1) await new Promise((r) => setTimeout(r, wait))
  pending.push(
    post().then(
      (ms) => void lat.push(ms),
      (err: Error) => {
        errors++
        if (/NO_SLOT|ZERO_BALANCE/.test(err.message)) refused++
        if (samples.size < 3) samples.add(err.message.slice(0, 80))
      },
    ),
  )
}
await Promise.all(pending)
const secs = (performance.now() - start) / 1000
lat.sort((a, b) => a - b)
console.log(
  JSON.stringify({
    p50: lat[Math.floor(lat.length * 0.5)] ?? null,
    p99: lat[Math.floor(lat.length * 0.99)] ?? null,
    rps: lat.length / secs,
    errors,
    refused,
    sent: total,
    errorSamples: [...samples],
  }),
)
agent.destroy()
