/** Query keys shared by every feature so that caches line up. */
export const queryKeys = {
  me: ['me'] as const,
  members: ['members'] as const,
  apiKeys: ['api-keys'] as const,
  audit: (limit: number) => ['audit', 'page', limit] as const,
  auditAll: ['audit'] as const,
  auditVerify: ['audit', 'verify'] as const,
  auditEntry: (id: string) => ['audit', 'entry', id] as const,
}
