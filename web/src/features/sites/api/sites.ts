import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ensureOk, unwrap } from '@/lib/api/client'
import { networkError, toApiError } from '@/lib/api/problem'
import { queryKeys } from '@/lib/api/queryKeys'
import type { components } from '@/lib/api/schema'
import type { Site } from '@/lib/api/types'
import { downloadBlob } from '@/lib/download'
import { siteQuery } from './queries'

export function useTemplates() {
  return useQuery({
    queryKey: queryKeys.siteTemplates,
    queryFn: () => unwrap(api.GET('/api/v1/sites/templates')),
    staleTime: 10 * 60_000,
  })
}

export function useSites() {
  return useQuery({
    queryKey: queryKeys.sites,
    queryFn: () => unwrap(api.GET('/api/v1/sites')),
  })
}

export function useSite(id: string) {
  return useQuery(siteQuery(id))
}

export function usePages(site: string) {
  return useQuery({
    queryKey: queryKeys.sitePages(site),
    queryFn: () => unwrap(api.GET('/api/v1/sites/{site}/pages', { params: { path: { site } } })),
  })
}

export function useAssets(site: string) {
  return useQuery({
    queryKey: queryKeys.siteAssets(site),
    queryFn: () => unwrap(api.GET('/api/v1/sites/{site}/assets', { params: { path: { site } } })),
  })
}

export function useSubmissions(site: string) {
  return useQuery({
    queryKey: queryKeys.siteSubmissions(site),
    queryFn: () => unwrap(api.GET('/api/v1/sites/{site}/submissions', { params: { path: { site } } })),
  })
}

/** Sites, pages and images move the plan's meters, so billing is refreshed with them. */
function useInvalidateSites() {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: queryKeys.sitesAll })
    void qc.invalidateQueries({ queryKey: queryKeys.billingAll })
    void qc.invalidateQueries({ queryKey: queryKeys.auditAll })
  }
}

export function useCreateSite() {
  const invalidate = useInvalidateSites()
  return useMutation({
    mutationFn: (body: components['schemas']['NewSite']) => unwrap(api.POST('/api/v1/sites', { body })),
    onSuccess: invalidate,
  })
}

export function useDeleteSite() {
  const qc = useQueryClient()
  const invalidate = useInvalidateSites()
  return useMutation({
    mutationFn: (site: string) => ensureOk(api.DELETE('/api/v1/sites/{site}', { params: { path: { site } } })),
    onSuccess: (_, site) => {
      qc.removeQueries({ queryKey: queryKeys.site(site) })
      invalidate()
    },
  })
}

/** Keeps the site's own query current with what publish and unpublish answer. */
function usePutSite() {
  const qc = useQueryClient()
  return (site: Site) => {
    qc.setQueryData(queryKeys.site(site.id), site)
    qc.setQueryData<Site[]>(queryKeys.sites, (list) => list?.map((s) => (s.id === site.id ? site : s)))
  }
}

export function usePublish() {
  const put = usePutSite()
  const invalidate = useInvalidateSites()
  return useMutation({
    mutationFn: (site: string) => unwrap(api.POST('/api/v1/sites/{site}/publish', { params: { path: { site } } })),
    onSuccess: (published) => {
      put(published.site)
      invalidate()
    },
  })
}

export function useUnpublish() {
  const put = usePutSite()
  const invalidate = useInvalidateSites()
  return useMutation({
    mutationFn: (site: string) => unwrap(api.POST('/api/v1/sites/{site}/unpublish', { params: { path: { site } } })),
    onSuccess: (site) => {
      put(site)
      invalidate()
    },
  })
}

export function useAddPage(site: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: components['schemas']['NewPage']) =>
      unwrap(api.POST('/api/v1/sites/{site}/pages', { params: { path: { site } }, body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: queryKeys.sitePages(site) }),
  })
}

export function useDeletePage(site: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (page: string) =>
      ensureOk(api.DELETE('/api/v1/sites/{site}/pages/{page}', { params: { path: { site, page } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: queryKeys.sitePages(site) }),
  })
}

export function useDeleteAsset(site: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (asset: string) =>
      ensureOk(api.DELETE('/api/v1/sites/{site}/assets/{asset}', { params: { path: { site, asset } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.siteAssets(site) })
      void qc.invalidateQueries({ queryKey: queryKeys.billingAll })
    },
  })
}

/**
 * Downloads the form submissions as CSV. A plain link would go without the bearer token,
 * so the file is fetched through the API client and handed to the browser as a blob.
 */
export function useExportSubmissions() {
  return useMutation({
    mutationFn: async ({ site, filename }: { site: string; filename: string }) => {
      let result
      try {
        result = await api.GET('/api/v1/sites/{site}/submissions.csv', { params: { path: { site } }, parseAs: 'blob' })
      } catch (e) {
        throw networkError(e)
      }
      if (!result.response.ok || result.data === undefined) throw toApiError(result.error, result.response)
      downloadBlob(result.data, filename)
    },
  })
}
