import { useQueryClient } from '@tanstack/react-query'
import { useCallback, useState } from 'react'
import { api } from '@/lib/api/client'
import { ApiError, networkError, toApiError } from '@/lib/api/problem'
import { queryKeys } from '@/lib/api/queryKeys'
import type { SiteAsset } from '@/lib/api/types'
import { xhrUpload } from '@/lib/xhrUpload'

/** The server takes JPEG, PNG, WebP and GIF up to 10 MB (it judges the type by content). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024
export const IMAGE_ACCEPT = 'image/jpeg,image/png,image/webp,image/gif'

function isAsset(v: unknown): v is SiteAsset {
  return (
    typeof v === 'object' &&
    v !== null &&
    'id' in v &&
    typeof v.id === 'string' &&
    'url' in v &&
    typeof v.url === 'string' &&
    'srcset' in v &&
    typeof v.srcset === 'string'
  )
}

/** Through the API client: slower to report, but it refreshes an expired session and retries. */
async function uploadViaClient(site: string, file: File): Promise<SiteAsset> {
  let result
  try {
    result = await api.POST('/api/v1/sites/{site}/assets', {
      params: { path: { site }, query: { name: file.name } },
      // The schema says a binary string; the body is the file's bytes, sent as they are.
      body: '',
      bodySerializer: () => file,
      headers: { 'Content-Type': 'application/octet-stream' },
    })
  } catch (e) {
    throw networkError(e)
  }
  if (!result.response.ok || result.data === undefined) throw toApiError(result.error, result.response)
  return result.data
}

/** Uploads one image, reporting progress from 0 to 1 (see `xhrUpload`). */
export function uploadAsset(site: string, file: File, onProgress?: (fraction: number) => void): Promise<SiteAsset> {
  const url = `/api/v1/sites/${encodeURIComponent(site)}/assets?name=${encodeURIComponent(file.name)}`
  return xhrUpload('POST', url, file, isAsset, () => uploadViaClient(site, file), onProgress)
}

/** A problem found before sending: the wrong kind of file or too large. */
export function checkImage(file: File): string | undefined {
  if (file.type && !IMAGE_ACCEPT.split(',').includes(file.type)) {
    return `${file.name} isn't a JPEG, PNG, WebP or GIF image.`
  }
  if (file.size > MAX_IMAGE_BYTES) return `${file.name} is larger than 10 MB.`
  return undefined
}

export interface UploadState {
  name: string
  /** 0 to 1. */
  progress: number
}

/** Uploads images one after another and keeps the site's image list current. */
export function useUploadAssets(site: string) {
  const qc = useQueryClient()
  const [current, setCurrent] = useState<UploadState | null>(null)
  const [errors, setErrors] = useState<unknown[]>([])

  const upload = useCallback(
    async (files: readonly File[]): Promise<SiteAsset[]> => {
      const done: SiteAsset[] = []
      const failed: unknown[] = []
      for (const file of files) {
        const problem = checkImage(file)
        if (problem) {
          failed.push(new Error(problem))
          continue
        }
        setCurrent({ name: file.name, progress: 0 })
        try {
          done.push(await uploadAsset(site, file, (progress) => setCurrent({ name: file.name, progress })))
        } catch (e) {
          failed.push(e instanceof ApiError || e instanceof Error ? e : new Error(String(e)))
        }
      }
      setCurrent(null)
      setErrors(failed)
      if (done.length > 0) {
        void qc.invalidateQueries({ queryKey: queryKeys.siteAssets(site) })
        void qc.invalidateQueries({ queryKey: queryKeys.billingAll })
      }
      return done
    },
    [qc, site],
  )

  return { upload, current, errors, clearErrors: () => setErrors([]) }
}
