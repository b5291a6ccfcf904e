/**
 * A client machine in hosts-file mode, simulated inside the test process: the provider names resolve to 127.0.0.1
 * through the HTTPS agent's own `lookup` (what a hosts-file line does), and the CaptchaDesk CA is the only CA the
 * agent trusts (what installing it does). Because a test cannot bind port 443 without privileges, the agent connects
 * to the gateway's HTTPS port instead of 443; the TLS handshake still checks the certificate against the provider's
 * host name (SNI and hostname verification are untouched). It replaces `https.globalAgent`, which node-fetch (the
 * `2captcha` package) and axios (anti-captcha's and CapSolver's packages) use when not given an agent: the clients
 * themselves are not modified.
 */
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import type { Socket } from 'node:net'

export const HOSTS_FILE = new Map<string, string>([
  ['2captcha.com', '127.0.0.1'],
  ['api.2captcha.com', '127.0.0.1'],
  ['ocr.captchaai.com', '127.0.0.1'],
  ['api.anti-captcha.com', '127.0.0.1'],
  ['api.capsolver.com', '127.0.0.1'],
])

/** Resolves only the names in the simulated hosts file; anything else does not resolve (no test reaches the internet). */
export const hostsFileLookup: LookupFunction = (hostname, options, callback) => {
  const address = HOSTS_FILE.get(hostname.toLowerCase())
  const cb = callback as unknown as (
    err: NodeJS.ErrnoException | null,
    address: string | Array<{ address: string; family: number }>,
    family?: number,
  ) => void
  if (!address) {
    const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
    err.code = 'ENOTFOUND'
    return cb(err, '')
  }
  if ((options as { all?: boolean }).all) cb(null, [{ address, family: 4 }])
  else cb(null, address, 4)
}

class HostsFileAgent extends https.Agent {
  constructor(
    private readonly gatewayPort: number,
    options: https.AgentOptions,
  ) {
    super(options)
  }
  override createConnection(options: Record<string, unknown>, cb?: (err: Error | null, s: Socket) => void) {
    // @ts-expect-error Agent.createConnection is not in @types/node's https.Agent, but exists at run time.
    return super.createConnection({ ...options, port: this.gatewayPort }, cb) as Socket
  }
}

/** Installs the simulated client machine; returns the function that restores the previous global agent. */
export function installHostsFileClient(caPem: string, gatewayHttpsPort: number): () => void {
  const previous = https.globalAgent
  https.globalAgent = new HostsFileAgent(gatewayHttpsPort, {
    ca: caPem,
    lookup: hostsFileLookup,
    keepAlive: false,
  })
  return () => {
    https.globalAgent.destroy()
    https.globalAgent = previous
  }
}
