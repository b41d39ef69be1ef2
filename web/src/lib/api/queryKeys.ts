/** Query keys shared by every feature so that caches line up. */
export const queryKeys = {
  me: ['me'] as const,
  members: ['members'] as const,
  apiKeys: ['api-keys'] as const,
  audit: (limit: number) => ['audit', 'page', limit] as const,
  auditAll: ['audit'] as const,
  auditVerify: ['audit', 'verify'] as const,
  auditEntry: (id: string) => ['audit', 'entry', id] as const,
  /** Everything under billing: usage moves with almost any action, so it is refreshed as one. */
  billingAll: ['billing'] as const,
  billing: ['billing', 'overview'] as const,
  billingPlans: ['billing', 'plans'] as const,
  billingForecast: ['billing', 'forecast'] as const,
  billingUsage: (days: number) => ['billing', 'usage', days] as const,
  invoices: ['billing', 'invoices'] as const,
  invoice: (id: string) => ['billing', 'invoice', id] as const,
  /** The operator console's data; dropped as one when a console session starts or ends. */
  operatorAll: ['operator'] as const,
  operatorMe: ['operator', 'me'] as const,
  operatorOverview: (days: number) => ['operator', 'overview', days] as const,
  operatorUsage: (meter: string) => ['operator', 'usage', meter] as const,
}
