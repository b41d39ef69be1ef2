import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query'
import { api, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'
import type { AuditEntry, AuditPage } from '@/lib/api/types'

const PAGE_SIZE = 50
const FIRST_PAGE: number | null = null

/** Newest first; each further page asks for entries before the last one seen. */
export function useAuditLog(enabled: boolean) {
  return useInfiniteQuery({
    enabled,
    queryKey: queryKeys.audit(PAGE_SIZE),
    initialPageParam: FIRST_PAGE,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/audit', {
          params: { query: { limit: PAGE_SIZE, before: pageParam ?? undefined } },
        }),
      ),
    getNextPageParam: (last: AuditPage) => last.next_before ?? null,
  })
}

/** Verification walks the whole hash chain, so it runs only when asked. */
export function useVerifyAudit() {
  return useMutation({
    mutationKey: queryKeys.auditVerify,
    mutationFn: () => unwrap(api.GET('/api/v1/audit/verify')),
  })
}

/**
 * One entry by id, for the details dialog and links to it (?entry=<id>). The row already
 * shown in the list stands in while the entry loads.
 */
export function useAuditEntry(id: string | null, shown: AuditEntry | undefined) {
  return useQuery({
    queryKey: queryKeys.auditEntry(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/audit/entries/{id}', { params: { path: { id: id ?? '' } } })),
    enabled: id !== null,
    placeholderData: shown,
  })
}
