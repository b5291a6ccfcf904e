/**
 * Loads the outside client packages for the integration tests without type-checking their sources: `capsolver-npm`
 * ships TypeScript only (src/), written for a looser compiler configuration than ours, and
 * `@antiadmin/anticaptchaofficial` ships plain JavaScript without types. The packages run unmodified.
 */

export interface CapSolverLike {
  balance(): Promise<number>
  image2text(p: Record<string, unknown>): Promise<Record<string, unknown>>
  recaptchav2proxyless(p: Record<string, unknown>): Promise<Record<string, unknown>>
  recaptchav2(p: Record<string, unknown>): Promise<Record<string, unknown>>
  recaptchav2enterpriseproxyless(p: Record<string, unknown>): Promise<Record<string, unknown>>
  recaptchav2enterprise(p: Record<string, unknown>): Promise<Record<string, unknown>>
  recaptchav3proxyless(p: Record<string, unknown>): Promise<Record<string, unknown>>
  recaptchav3(p: Record<string, unknown>): Promise<Record<string, unknown>>
  recaptchav3enterpriseproxyless(p: Record<string, unknown>): Promise<Record<string, unknown>>
  recaptchav3enterprise(p: Record<string, unknown>): Promise<Record<string, unknown>>
  turnstileproxyless(p: Record<string, unknown>): Promise<Record<string, unknown>>
  geetestproxyless(p: Record<string, unknown>): Promise<Record<string, unknown>>
  geetest(p: Record<string, unknown>): Promise<Record<string, unknown>>
  cloudflare(p: Record<string, unknown>): Promise<Record<string, unknown>>
}

/** The package's module, as its README imports it (the package has no build; its entry is src/index.ts). */
const CAPSOLVER_ENTRY = 'capsolver-npm/src/index'

export async function loadCapSolver(): Promise<
  new (o: { apiKey: string; pollDelay?: number }) => CapSolverLike
> {
  const mod = (await import(/* @vite-ignore */ CAPSOLVER_ENTRY)) as {
    Solver: new (o: { apiKey: string; pollDelay?: number }) => CapSolverLike
  }
  return mod.Solver
}

type Answer = Promise<unknown>
export interface AntiCaptchaLike {
  settings: { firstAttemptWaitingInterval: number; normalWaitingInterval: number }
  setAPIKey(key: string): void
  shutUp(): void
  getBalance(): Promise<number>
  solveImage(body: string, ...rest: unknown[]): Promise<string>
  solveRecaptchaV2Proxyless(url: string, key: string, invisible?: boolean): Promise<string>
  solveRecaptchaV2ProxyOn(...args: unknown[]): Promise<string>
  solveRecaptchaV2EnterpriseProxyless(url: string, key: string, payload?: unknown): Promise<string>
  solveRecaptchaV2EnterpriseProxyOn(...args: unknown[]): Promise<string>
  solveRecaptchaV3(url: string, key: string, minScore: number, action: string): Promise<string>
  solveRecaptchaV3Enterprise(url: string, key: string, minScore: number, action: string): Promise<string>
  solveTurnstileProxyless(...args: unknown[]): Promise<string>
  solveTurnstileProxyOn(...args: unknown[]): Promise<string>
  solveGeeTestProxyless(...args: unknown[]): Answer
  solveGeeTestProxyOn(...args: unknown[]): Answer
  solveGeeTestV4Proxyless(...args: unknown[]): Answer
  solveGeeTestV4ProxyOn(...args: unknown[]): Answer
  reportIncorrectRecaptcha(): Promise<boolean>
  reportIncorrectImageCaptcha(): Promise<boolean>
  reportCorrectRecaptcha(): Promise<boolean>
}

const ANTICAPTCHA_ENTRY = '@antiadmin/anticaptchaofficial'

export async function loadAntiCaptcha(): Promise<AntiCaptchaLike> {
  const mod = (await import(/* @vite-ignore */ ANTICAPTCHA_ENTRY)) as {
    default?: AntiCaptchaLike
  } & AntiCaptchaLike
  return mod.default ?? mod
}
