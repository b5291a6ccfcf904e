/** The headless host on a throwaway folder with a one-page console, and raw HTTP to it, for the host tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runHost, type RunningHost } from '../../../electron/engine/host/run-host'

export type Reply = { status: number; text: string; headers: Record<string, unknown> }

/** Starts a host whose data is in `<dir>/data` and whose console (index.html only) is in `<dir>/renderer`. */
export async function startTestHost(prefix: string): Promise<{ running: RunningHost; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const renderer = join(dir, 'renderer')
  mkdirSync(renderer, { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>console</title>')
  const running = await runHost({
    dataDir: join(dir, 'data'),
    rendererDir: renderer,
    sandboxSpeed: 1000,
    weakKdfForTests: true,
  })
  return { running, dir }
}

/** Raw HTTP so the Host header and paths are sent exactly as given. */
export function rawHttp(
  port: number,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
  body?: string | Buffer,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }))
    })
    req.on('error', reject)
    req.end(body)
  })
}
