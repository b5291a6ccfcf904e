export { createAdmissionController, type AdmissionOptions } from './admission-controller'
export { SharedCapacity } from './shared-capacity'
export { AdmissionQueue, type AdmissionQueueOptions, type WaitOptions } from './wait-queue'
export * from './types'
