export { createAdmissionController, type AdmissionOptions } from './admission-controller'
export { gcraCheck, gcraParams } from './gcra'
export { SharedCapacity } from './shared-capacity'
export type * from './types'
