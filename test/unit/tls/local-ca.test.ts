import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, connect, type TLSSocket } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isCertificateHostName } from '@shared/host-names'
import { openLocalCa, PROVIDER_HOST_NAMES } from '../../../electron/engine/tls/local-ca'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'local-ca-'))
  dirs.push(d)
  return d
}

/** A TLS handshake to a server with this certificate, as a client that trusts only the CA. */
async function handshake(cert: { certPem: string; keyPem: string }, ca: string, servername: string) {
  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (s) => s.end())
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  try {
    return await new Promise<{ ok: boolean; error?: string }>((resolve) => {
      const s: TLSSocket = connect({ host: '127.0.0.1', port, servername, ca }, () => {
        resolve({ ok: s.authorized })
        s.destroy()
      })
      s.on('error', (e) => resolve({ ok: false, error: (e as NodeJS.ErrnoException).code ?? e.message }))
    })
  } finally {
    server.close()
  }
}

describe('local CA for hosts-file mode', () => {
  it('is created once with its key at 0600, and reused on the next start', async () => {
    const dir = tempDir()
    const ca = await openLocalCa(dir)
    const keyFile = join(dir, 'tls', 'ca-key.pem')
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(readFileSync(keyFile, 'utf8')).toMatch(/BEGIN (RSA )?PRIVATE KEY/)
    const info = ca.info()
    expect(info.certPem).toMatch(/BEGIN CERTIFICATE/)
    expect(info.certPem).not.toMatch(/PRIVATE KEY/)
    const x = new X509Certificate(info.certPem)
    expect(x.ca).toBe(true)
    expect(info.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    const again = await openLocalCa(dir)
    expect(again.info().fingerprint256).toBe(info.fingerprint256)
  })

  it('issues a server certificate for the providers’ names and the operator’s own, trusted through the CA only', async () => {
    const dir = tempDir()
    const ca = await openLocalCa(dir)
    const cert = await ca.issueServerCertificate([...PROVIDER_HOST_NAMES, 'captcha.my-platform.example'])
    const x = new X509Certificate(cert.certPem)
    expect(x.ca).toBe(false)
    expect(x.verify(new X509Certificate(ca.info().certPem).publicKey)).toBe(true)
    for (const name of [...PROVIDER_HOST_NAMES, 'captcha.my-platform.example', 'localhost'])
      expect(x.checkHost(name)).toBe(name)
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(x.checkHost('example.org')).toBeUndefined()
    const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000
    expect(days).toBeLessThanOrEqual(398)

    const caPem = ca.info().certPem
    expect(await handshake(cert, caPem, 'api.anti-captcha.com')).toEqual({ ok: true })
    expect(await handshake(cert, caPem, 'example.org')).toMatchObject({
      ok: false,
      error: 'ERR_TLS_CERT_ALTNAME_INVALID',
    })
    // A client that does not trust this CA refuses the certificate.
    const other = await openLocalCa(tempDir())
    expect(await handshake(cert, other.info().certPem, '2captcha.com')).toMatchObject({ ok: false })
  })

  it('refuses names that cannot go on a certificate', async () => {
    const ca = await openLocalCa(tempDir())
    for (const bad of ['', 'http://x.com', 'a b.com', '-bad.com', '1.2.3.4', 'x'.repeat(300)]) {
      expect(isCertificateHostName(bad)).toBe(false)
      await expect(ca.issueServerCertificate([bad])).rejects.toThrow(/not a host name/)
    }
    for (const good of ['2captcha.com', '*.my-platform.example', 'gateway-1.lan', 'localhost'])
      expect(isCertificateHostName(good)).toBe(true)
  })
})
