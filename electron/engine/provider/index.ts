export { createProviderClient, type ProviderClientOptions } from './client'
export { classifyCode } from './error-codes'
export { ProviderError } from './types'
export type { ProviderClient, SolveOptions, SubmitResult, TaskOutcome, ErrorAction } from './types'
