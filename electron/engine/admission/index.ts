export { createAdmissionController, type AdmissionOptions } from './admission-controller'
export { AdmissionQueue, type AdmissionQueueOptions, type WaitOptions } from './wait-queue'
export * from './types'
export { ledgerUsageLoader } from './usage-loader'
