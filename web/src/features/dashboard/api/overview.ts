import { useQuery } from '@tanstack/react-query'
import { api, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'

/** Same keys as the Team and API keys pages, so the caches are shared. */
export function useMemberList(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.members,
    queryFn: () => unwrap(api.GET('/api/v1/members')),
    select: (list) => list.items,
    enabled,
  })
}

export function useApiKeyList(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.apiKeys,
    queryFn: () => unwrap(api.GET('/api/v1/api-keys')),
    select: (list) => list.items,
    enabled,
  })
}

const RECENT = 6

export function useRecentActivity(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.audit(RECENT),
    queryFn: () => unwrap(api.GET('/api/v1/audit', { params: { query: { limit: RECENT } } })),
    select: (page) => page.items,
    enabled,
  })
}

/** Same key as the Sites page. */
export function useSiteList() {
  return useQuery({
    queryKey: queryKeys.sites,
    queryFn: () => unwrap(api.GET('/api/v1/sites')),
  })
}
