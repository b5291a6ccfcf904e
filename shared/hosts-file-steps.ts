/**
 * The console's step-by-step instructions for hosts-file mode on each client operating system: trust CaptchaDesk's
 * local CA, point the providers' host names at the gateway, and how to undo both. Pure text, built from the names
 * the certificate covers and the gateway's address and ports, so it can be tested and shown anywhere.
 */
export type ClientOs = 'linux' | 'macos' | 'windows'

export interface HostsFileStep {
  title: string
  /** Commands to run, one per line (shown in a copyable block), or none for a plain instruction. */
  commands: string[]
  note?: string
}

export interface HostsFileInput {
  /** The names the certificate covers (providers' and the operator's own). */
  names: readonly string[]
  /** The address the client machine reaches the gateway at (127.0.0.1 on the same machine). */
  address: string
  httpsPort: number
  httpPort: number
  /** The CA file's name after downloading it. */
  caFile: string
}

const OS_LABELS: Record<ClientOs, string> = { linux: 'Linux', macos: 'macOS', windows: 'Windows' }
export const CLIENT_OSES: ReadonlyArray<{ id: ClientOs; label: string }> = (
  ['linux', 'macos', 'windows'] as const
).map((id) => ({ id, label: OS_LABELS[id] }))

/** One hosts-file line per name (wildcards cannot go into a hosts file, so they are left out). */
export function hostsLines(address: string, names: readonly string[]): string[] {
  return names.filter((n) => !n.startsWith('*.')).map((n) => `${address} ${n}`)
}

function portNote(input: HostsFileInput): string | undefined {
  const parts: string[] = []
  if (input.httpsPort !== 443)
    parts.push(
      `The gateway's HTTPS port is ${input.httpsPort}, but clients with a hard-coded https:// URL connect to 443: set the HTTPS port to 443 in Settings, or forward 443 to ${input.httpsPort} on the gateway machine.`,
    )
  if (input.httpPort !== 80)
    parts.push(
      `Clients that use plain http:// connect to port 80; the gateway's HTTP port is ${input.httpPort}. Set it to 80 if such clients must work unchanged.`,
    )
  return parts.length ? parts.join(' ') : undefined
}

export function hostsFileSteps(os: ClientOs, input: HostsFileInput): HostsFileStep[] {
  const lines = hostsLines(input.address, input.names)
  const ca = input.caFile
  const ports = portNote(input)
  const runtimes =
    'Node.js does not read the system store: also start Node clients with NODE_EXTRA_CA_CERTS pointing at the file. Python requests uses certifi: set REQUESTS_CA_BUNDLE to a bundle that includes it.'
  switch (os) {
    case 'linux':
      return [
        {
          title: 'Trust the CaptchaDesk CA (Debian, Ubuntu)',
          commands: [
            `sudo cp ${ca} /usr/local/share/ca-certificates/captchadesk-local-ca.crt`,
            'sudo update-ca-certificates',
          ],
          note: `Fedora, RHEL: sudo cp ${ca} /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust. ${runtimes}`,
        },
        {
          title: 'Point the provider names at the gateway',
          commands: lines.map((l) => `echo '${l}' | sudo tee -a /etc/hosts`),
          note: ports,
        },
        {
          title: 'If the gateway runs on this Linux machine and must listen on 443',
          commands: ['sudo sysctl -w net.ipv4.ip_unprivileged_port_start=443'],
          note: 'Ports below 1024 need this (or root) on Linux; macOS and Windows allow them.',
        },
        {
          title: 'To undo',
          commands: [
            'sudo rm /usr/local/share/ca-certificates/captchadesk-local-ca.crt',
            'sudo update-ca-certificates --fresh',
            ...input.names
              .filter((n) => !n.startsWith('*.'))
              .map((n) => `sudo sed -i '/ ${n.replaceAll('.', '\\.')}$/d' /etc/hosts`),
          ],
        },
      ]
    case 'macos':
      return [
        {
          title: 'Trust the CaptchaDesk CA',
          commands: [
            `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${ca}`,
          ],
          note: runtimes,
        },
        {
          title: 'Point the provider names at the gateway',
          commands: [
            ...lines.map((l) => `echo '${l}' | sudo tee -a /etc/hosts`),
            'sudo dscacheutil -flushcache; sudo killall -HUP mDNSResponder',
          ],
          note: ports,
        },
        {
          title: 'To undo',
          commands: [
            `sudo security remove-trusted-cert -d ${ca}`,
            "sudo security delete-certificate -c 'CaptchaDesk local CA' /Library/Keychains/System.keychain",
            ...input.names
              .filter((n) => !n.startsWith('*.'))
              .map((n) => `sudo sed -i '' '/ ${n.replaceAll('.', '\\.')}$/d' /etc/hosts`),
          ],
        },
      ]
    case 'windows':
      return [
        {
          title: 'Trust the CaptchaDesk CA (PowerShell as administrator)',
          commands: [`Import-Certificate -FilePath .\\${ca} -CertStoreLocation Cert:\\LocalMachine\\Root`],
          note: runtimes,
        },
        {
          title: 'Point the provider names at the gateway (PowerShell as administrator)',
          commands: [
            ...lines.map(
              (l) => `Add-Content -Path "$env:windir\\System32\\drivers\\etc\\hosts" -Value "${l}"`,
            ),
            'ipconfig /flushdns',
          ],
          note: ports,
        },
        {
          title: 'To undo',
          commands: [
            'Get-ChildItem Cert:\\LocalMachine\\Root | Where-Object Subject -like "*CaptchaDesk local CA*" | Remove-Item',
            'notepad "$env:windir\\System32\\drivers\\etc\\hosts"   # delete the lines added above',
          ],
        },
      ]
  }
}
