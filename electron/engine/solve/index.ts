export { createSolveService, type SolveServiceDeps } from './solve-service'
export { createPricing } from './pricing'
export type * from './types'
