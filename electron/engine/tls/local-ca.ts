/**
 * The local certificate authority for hosts-file mode: clients that cannot change their provider's base URL reach
 * the gateway through a hosts-file entry (2captcha.com → this machine), many of them over HTTPS. CaptchaDesk makes
 * its own CA once (RSA 2048, 10 years; private key in `<data>/tls/ca-key.pem`, mode 0600, written atomically) and
 * issues the gateway's server certificate from it for the providers' host names plus the operator's own. Only the
 * CA certificate (public) is ever shown or downloaded; the key never leaves this module.
 */
import { generateKeyPair, randomBytes, X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../files/durable-write'
import forge from 'node-forge'
import { isCertificateHostName } from '@shared/host-names'

/** The host names standard clients hard-code (2captcha v1 and v2, CaptchaAI, anti-captcha, CapSolver). */
export const PROVIDER_HOST_NAMES = [
  '2captcha.com',
  'api.2captcha.com',
  'ocr.captchaai.com',
  'api.anti-captcha.com',
  'api.capsolver.com',
] as const

const CA_YEARS = 10
/** Apple and browsers refuse server certificates valid for more than 398 days. */
const SERVER_DAYS = 397

export interface LocalCaInfo {
  certPem: string
  /** SHA-256 fingerprint of the CA certificate, colon-separated hex (what trust dialogs show). */
  fingerprint256: string
  subject: string
  validTo: string
}

export interface ServerCertificate {
  certPem: string
  keyPem: string
  names: string[]
  validTo: string
}

export interface LocalCa {
  info(): LocalCaInfo
  /** A fresh server key and certificate for these DNS names (plus localhost, 127.0.0.1 and ::1). */
  issueServerCertificate(names: readonly string[]): Promise<ServerCertificate>
}

function rsaKeyPair(): Promise<{ publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey }> {
  // Node's native generator (milliseconds) instead of forge's pure-JS one (seconds); forge signs the certificates.
  return new Promise((resolve, reject) =>
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (err, publicPem, privatePem) => {
        if (err) return reject(err)
        resolve({
          publicKey: forge.pki.publicKeyFromPem(publicPem) as forge.pki.rsa.PublicKey,
          privateKey: forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey,
        })
      },
    ),
  )
}

/** A positive serial number of 16 random bytes (RFC 5280: at most 20 octets, non-negative). */
function serial(): string {
  const bytes = randomBytes(16)
  bytes[0] = bytes[0]! & 0x7f
  return bytes.toString('hex')
}

async function createCa(now: Date): Promise<{ certPem: string; keyPem: string }> {
  const keys = await rsaKeyPair()
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = serial()
  cert.validity.notBefore = new Date(now.getTime() - 60 * 60_000)
  cert.validity.notAfter = new Date(now.getTime())
  cert.validity.notAfter.setUTCFullYear(now.getUTCFullYear() + CA_YEARS)
  const attrs = [
    { name: 'commonName', value: `CaptchaDesk local CA ${now.toISOString().slice(0, 10)}` },
    { name: 'organizationName', value: 'CaptchaDesk (this machine only)' },
  ]
  cert.setSubject(attrs)
  cert.setIssuer(attrs)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) }
}

/** Loads the CA from `<dataDir>/tls/`, creating it on first use. */
export async function openLocalCa(dataDir: string, now: () => number = Date.now): Promise<LocalCa> {
  const dir = join(dataDir, 'tls')
  const keyPath = join(dir, 'ca-key.pem')
  const certPath = join(dir, 'ca-cert.pem')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (!existsSync(keyPath) || !existsSync(certPath)) {
    const created = await createCa(new Date(now()))
    writeFileAtomic(keyPath, created.keyPem, 0o600)
    writeFileAtomic(certPath, created.certPem, 0o644)
  }
  const caCert = forge.pki.certificateFromPem(readFileSync(certPath, 'utf8'))
  const caKey = forge.pki.privateKeyFromPem(readFileSync(keyPath, 'utf8')) as forge.pki.rsa.PrivateKey
  const certPem = forge.pki.certificateToPem(caCert)
  const x509 = new X509Certificate(certPem)
  const info: LocalCaInfo = {
    certPem,
    fingerprint256: x509.fingerprint256,
    subject: x509.subject,
    validTo: new Date(x509.validTo).toISOString(),
  }
  return {
    info: () => ({ ...info }),
    async issueServerCertificate(names) {
      const bad = names.find((n) => !isCertificateHostName(n))
      if (bad !== undefined) throw new RangeError(`"${bad.slice(0, 80)}" is not a host name`)
      const dns = [...new Set([...names.map((n) => n.toLowerCase()), 'localhost'])]
      const keys = await rsaKeyPair()
      const cert = forge.pki.createCertificate()
      const t = new Date(now())
      cert.publicKey = keys.publicKey
      cert.serialNumber = serial()
      cert.validity.notBefore = new Date(t.getTime() - 60 * 60_000)
      cert.validity.notAfter = new Date(t.getTime() + SERVER_DAYS * 24 * 60 * 60_000)
      cert.setSubject([{ name: 'commonName', value: dns[0]! }])
      cert.setIssuer(caCert.subject.attributes)
      cert.setExtensions([
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            ...dns.map((value) => ({ type: 2, value })),
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
        { name: 'subjectKeyIdentifier' },
        { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
      ])
      cert.sign(caKey, forge.md.sha256.create())
      return {
        certPem: forge.pki.certificateToPem(cert),
        keyPem: forge.pki.privateKeyToPem(keys.privateKey),
        names: dns,
        validTo: cert.validity.notAfter.toISOString(),
      }
    },
  }
}
