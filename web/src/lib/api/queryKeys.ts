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
  /** Everything under sites; a publish or a delete refreshes it as one. */
  sitesAll: ['sites'] as const,
  sites: ['sites', 'list'] as const,
  siteTemplates: ['sites', 'templates'] as const,
  site: (id: string) => ['sites', 'site', id] as const,
  sitePages: (id: string) => ['sites', 'site', id, 'pages'] as const,
  siteAssets: (id: string) => ['sites', 'site', id, 'assets'] as const,
  siteSubmissions: (id: string) => ['sites', 'site', id, 'submissions'] as const,
  pageVersions: (site: string, page: string) => ['sites', 'site', site, 'page', page, 'versions'] as const,
  /** The operator console's data; dropped as one when a console session starts or ends. */
  operatorAll: ['operator'] as const,
  operatorMe: ['operator', 'me'] as const,
  operatorOverview: (days: number) => ['operator', 'overview', days] as const,
  operatorUsage: (meter: string) => ['operator', 'usage', meter] as const,
}
