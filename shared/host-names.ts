/**
 * What the gateway can put on its HTTPS certificate in hosts-file mode: a DNS name, optionally `*.`-prefixed — no IP
 * addresses, no URLs. One rule for the settings schema, the console's form and the certificate itself, so a name
 * the form accepts never stops the gateway at its next start.
 */
const DNS_NAME =
  /^(\*\.)?(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

export function isCertificateHostName(name: string): boolean {
  return DNS_NAME.test(name) && !/^[\d.]+$/.test(name)
}
