/**
 * Hosts-file mode's pieces that do not depend on a running gateway: the data folder's local CA (opened once per
 * folder and process) and the names its server certificate carries.
 */
import { openLocalCa, PROVIDER_HOST_NAMES, type LocalCa, type LocalCaInfo } from './local-ca'

const cas = new Map<string, Promise<LocalCa>>()

/** The data folder's CA, created on first use. A failed attempt is not cached, so it can be retried. */
function localCaFor(dataDir: string): Promise<LocalCa> {
  let ca = cas.get(dataDir)
  if (!ca) {
    ca = openLocalCa(dataDir)
    cas.set(dataDir, ca)
    ca.catch(() => cas.delete(dataDir))
  }
  return ca
}

/** Every name the gateway's certificate covers: the providers' host names, then the operator's own. */
export function certificateNames(operatorNames: readonly string[]): string[] {
  return [...new Set([...PROVIDER_HOST_NAMES, ...operatorNames.map((n) => n.toLowerCase())])]
}

export interface CaCertificateReply extends LocalCaInfo {
  /** The names a hosts file may point at this machine (the certificate covers them all). */
  names: string[]
  fileName: string
}

export async function caCertificateReply(
  dataDir: string,
  operatorNames: readonly string[],
): Promise<CaCertificateReply> {
  const info = (await localCaFor(dataDir)).info()
  return { ...info, names: certificateNames(operatorNames), fileName: 'captchadesk-local-ca.crt' }
}

/** The gateway's HTTPS certificate for hosts-file mode: the providers' names plus the operator's, from the local CA. */
export async function serverTlsFor(
  dataDir: string,
  operatorNames: readonly string[],
): Promise<{ certPem: string; keyPem: string }> {
  const cert = await (await localCaFor(dataDir)).issueServerCertificate(certificateNames(operatorNames))
  return { certPem: cert.certPem, keyPem: cert.keyPem }
}
