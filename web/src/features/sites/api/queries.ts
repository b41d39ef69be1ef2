import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'

export function siteQuery(id: string) {
  return queryOptions({
    queryKey: queryKeys.site(id),
    queryFn: () => unwrap(api.GET('/api/v1/sites/{site}', { params: { path: { site: id } } })),
  })
}

/**
 * A page with its project. An editor must start from the current version, so this is kept
 * only briefly: long enough for the editor to pick up what was fetched while its code loaded.
 * The editor drops it when it closes.
 */
export function pageContentQuery(site: string, page: string) {
  return queryOptions({
    queryKey: ['site-page-content', site, page] as const,
    queryFn: () => unwrap(api.GET('/api/v1/sites/{site}/pages/{page}', { params: { path: { site, page } } })),
    staleTime: 20_000,
    gcTime: 20_000,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  })
}
