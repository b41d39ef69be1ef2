import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { api, unwrap } from '@/lib/api/client'
import { ApiError, hasCode, networkError, toApiError } from '@/lib/api/problem'
import { queryKeys } from '@/lib/api/queryKeys'
import type { PageContent } from '@/lib/api/types'
import { pageContentQuery } from '../api/queries'

/** What a save sends besides the project. */
export interface PageMeta {
  title: string
  description: string
  path: string
  social_image: string | null
  noindex: boolean
}

export function metaOf(page: PageContent): PageMeta {
  return {
    title: page.title,
    description: page.description,
    path: page.path,
    social_image: page.social_image ?? null,
    noindex: page.noindex,
  }
}

/** The page with its project; dropped from the cache when the editor closes, so it is fresh each time. */
export function usePageContent(site: string, page: string) {
  const qc = useQueryClient()
  useEffect(() => () => qc.removeQueries({ queryKey: pageContentQuery(site, page).queryKey }), [qc, site, page])
  return useQuery(pageContentQuery(site, page))
}

/**
 * Saves a new version, on condition that `etag` is still current. The generated type of
 * `project` is an empty object, so the body is serialized by hand with the real project.
 */
export async function savePage(
  site: string,
  page: string,
  etag: string,
  meta: PageMeta,
  project: Record<string, unknown>,
): Promise<PageContent> {
  let result
  try {
    result = await api.PUT('/api/v1/sites/{site}/pages/{page}', {
      params: { path: { site, page }, header: { 'If-Match': etag } },
      body: {
        title: meta.title,
        description: meta.description,
        path: meta.path,
        social_image: meta.social_image,
        noindex: meta.noindex,
        project,
      },
    })
  } catch (e) {
    throw networkError(e)
  }
  if (!result.response.ok || result.data === undefined) throw toApiError(result.error, result.response)
  const saved = result.data
  return { ...saved, etag: result.response.headers.get('ETag') ?? saved.etag }
}

function isPageContent(v: unknown): v is PageContent {
  return (
    typeof v === 'object' &&
    v !== null &&
    'etag' in v &&
    typeof v.etag === 'string' &&
    'title' in v &&
    typeof v.title === 'string' &&
    'project' in v &&
    typeof v.project === 'object' &&
    v.project !== null
  )
}

/** The current page a `version_conflict` carries, when it carries one. */
export function conflictCurrent(error: unknown): PageContent | null {
  if (!hasCode(error, 'version_conflict')) return null
  const current = error.extensions.current
  return isPageContent(current) ? current : null
}

export function useVersions(site: string, page: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.pageVersions(site, page),
    queryFn: () => unwrap(api.GET('/api/v1/sites/{site}/pages/{page}/versions', { params: { path: { site, page } } })),
    enabled,
    staleTime: 0,
  })
}

export function useInvalidateVersions(site: string, page: string) {
  const qc = useQueryClient()
  return () => void qc.invalidateQueries({ queryKey: queryKeys.pageVersions(site, page) })
}

/** Makes an old version current again (as a new version); with `etag`, only if nobody saved since. */
export function restoreVersion(site: string, page: string, version: number, etag?: string): Promise<PageContent> {
  return unwrap(
    api.POST('/api/v1/sites/{site}/pages/{page}/versions/{version}/restore', {
      params: { path: { site, page, version }, ...(etag ? { header: { 'If-Match': etag } } : {}) },
    }),
  )
}

/**
 * The draft as it would be published, as HTML. The preview link opens only with the session,
 * so it is fetched here and shown in a sandboxed frame, never navigated to.
 */
export async function previewHtml(site: string, page: string): Promise<string> {
  const link = await unwrap(api.POST('/api/v1/sites/{site}/pages/{page}/preview', { params: { path: { site, page } } }))
  const token = /\/api\/v1\/sites\/preview\/([^/?#]+)/.exec(new URL(link.url, window.location.origin).pathname)?.[1]
  if (!token) throw new ApiError({ type: 'about:blank', title: 'Preview', status: 0, code: 'internal', detail: 'The preview link was not understood.', field: null, request_id: '' })
  let result
  try {
    result = await api.GET('/api/v1/sites/preview/{token}', { params: { path: { token: decodeURIComponent(token) } }, parseAs: 'text' })
  } catch (e) {
    throw networkError(e)
  }
  if (!result.response.ok || result.data === undefined) throw toApiError(result.error, result.response)
  return result.data
}
