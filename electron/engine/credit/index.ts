/** Prepaid credit: the append-only credit book, prepaid admission, and the balance a tenant's client reads. */
export {
  openCreditBook,
  type CreditBalance,
  type CreditBook,
  type CreditEntry,
  type CreditKind,
} from './credit-book'
export { withPrepaidCredit } from './credit-admission'
export { tenantBalanceFor, type TenantBalanceDeps } from './tenant-balance'
export { connectCredit } from './connect-credit'
