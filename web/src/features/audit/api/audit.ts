import { useInfiniteQuery, useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'
import type { AuditPage } from '@/lib/api/types'

const PAGE_SIZE = 50
const FIRST_PAGE: number | null = null

/** Newest first; each further page asks for entries before the last one seen. */
export function useAuditLog() {
  return useInfiniteQuery({
    queryKey: queryKeys.audit(PAGE_SIZE),
    initialPageParam: FIRST_PAGE,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/audit', {
          params: { query: { limit: PAGE_SIZE, before: pageParam ?? undefined } },
        }),
      ),
    getNextPageParam: (last: AuditPage) => last.next_before,
  })
}

/** Verification walks the whole hash chain, so it runs only when asked. */
export function useVerifyAudit() {
  return useMutation({
    mutationKey: queryKeys.auditVerify,
    mutationFn: () => unwrap(api.GET('/api/v1/audit/verify')),
  })
}
