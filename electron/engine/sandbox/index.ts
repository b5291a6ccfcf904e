export { startSandbox, keyFingerprint, SANDBOX_DEMO_KEY, type Sandbox } from './server'
export type {
  SandboxFaults,
  SandboxKeyConfig,
  SandboxOptions,
  SandboxStats,
  SandboxTaskRecord,
} from './types'
