import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const CLI = join(import.meta.dirname, '../../../electron/cli/sandbox.ts')

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()))
  const exited = new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code) => {
      clearTimeout(kill)
      resolve(code)
    })
  })
  return { child, out, exited }
}

describe('npm run sandbox', () => {
  it('refuses bad arguments with a clear message and exit code 2', async () => {
    for (const [args, message] of [
      [['--speed', '0'], /--speed "0" is not valid/],
      [['--port', '70000'], /--port "70000" is not valid/],
      [['--threads', '1.5'], /--threads "1.5" is not valid/],
      [['--host', '0.0.0.0'], /only to loopback/],
      [['--colour', 'red'], /Unknown option/],
    ] as const) {
      const r = run([...args])
      expect(await r.exited, args.join(' ')).toBe(2)
      expect(r.out.stderr).toMatch(message)
      expect(r.out.stderr).toMatch(/usage: npm run sandbox/)
    }
  })

  it('starts on the asked port, prints the URL and demo key, serves, and stops on SIGTERM', async () => {
    const r = run(['--port', '0', '--speed', '1000', '--seed', '5', '--threads', '3'])
    for (let i = 0; i < 400 && !r.out.stdout.includes('demo key'); i++)
      await new Promise((s) => setTimeout(s, 25))
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(r.out.stdout)?.[1]
    const key = /demo key[^:]*: ([a-z0-9]{32})/.exec(r.out.stdout)?.[1]
    expect(url).toBeDefined()
    expect(key).toBeDefined()
    const q = new URLSearchParams({
      key: key!,
      method: 'turnstile',
      sitekey: 's',
      pageurl: 'https://a.example',
    })
    expect(await (await fetch(`${url}/in.php?${q}`)).text()).toMatch(/^OK\|\d+$/)
    expect(await (await fetch(`${url}/res.php?key=${key}&action=getbalance`)).text()).toBe('OK|10.00')
    r.child.kill('SIGTERM')
    expect(await r.exited).toBe(0)
  })
})
