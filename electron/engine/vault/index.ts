export {
  KeyVault,
  MIN_PASSPHRASE_LENGTH,
  MAX_PASSPHRASE_LENGTH,
  type VaultEntryInfo,
  type VaultOptions,
} from './key-vault'
export type { DeviceKeyProtector } from './device-protector'
export * from './errors'
export { RECOMMENDED_KDF, MINIMUM_KDF, keyFingerprint, type KdfCost } from './vault-crypto'
export type { WriteHooks } from './vault-file'
