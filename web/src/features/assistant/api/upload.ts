import { useQueryClient } from '@tanstack/react-query'
import { useCallback, useRef, useState } from 'react'
import { api } from '@/lib/api/client'
import { networkError, toApiError } from '@/lib/api/problem'
import { queryKeys } from '@/lib/api/queryKeys'
import type { AssistantDocument, Visibility } from '@/lib/api/types'
import { xhrUpload } from '@/lib/xhrUpload'
import { usePutDocument } from './documents'

/** The server reads PDF (with a text layer), Word, text, Markdown and HTML up to 25 MB; it judges the kind by content. */
export const MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
export const DOCUMENT_EXTENSIONS = ['.pdf', '.docx', '.txt', '.md', '.markdown', '.html', '.htm'] as const
export const DOCUMENT_ACCEPT = DOCUMENT_EXTENSIONS.join(',')
export const DOCUMENT_TYPES_TEXT = 'PDF (with selectable text), Word (.docx), plain text, Markdown or HTML'

function isDocument(v: unknown): v is AssistantDocument {
  return (
    typeof v === 'object' &&
    v !== null &&
    'id' in v &&
    typeof v.id === 'string' &&
    'title' in v &&
    typeof v.title === 'string' &&
    'status' in v &&
    typeof v.status === 'string'
  )
}

export interface UploadOptions {
  visibility: Visibility
  /** Client members' ids, for `clients`. */
  sharedWith: string[]
}

/** Through the API client: no progress, but it refreshes an expired session and retries. */
async function sendViaClient(file: File, target: string | null, options: UploadOptions): Promise<AssistantDocument> {
  const init = {
    // The schema says a binary string; the body is the file's bytes, sent as they are.
    body: '',
    bodySerializer: () => file,
    headers: { 'Content-Type': 'application/octet-stream' },
  }
  let result
  try {
    result = target
      ? await api.PUT('/api/v1/assistant/documents/{document}/file', {
          ...init,
          params: { path: { document: target }, query: { name: file.name } },
        })
      : await api.POST('/api/v1/assistant/documents', {
          ...init,
          params: {
            query: {
              name: file.name,
              visibility: options.visibility,
              ...(options.visibility === 'clients' && options.sharedWith.length > 0 ? { shared_with: options.sharedWith.join(',') } : {}),
            },
          },
        })
  } catch (e) {
    throw networkError(e)
  }
  if (!result.response.ok || result.data === undefined) throw toApiError(result.error, result.response)
  return result.data
}

/**
 * Sends one file, new (`target` null) or replacing a document's, reporting progress from 0
 * to 1. XMLHttpRequest is used because fetch cannot report upload progress; an expired
 * session falls back to the API client, which refreshes it.
 */
export function sendDocument(
  file: File,
  target: string | null,
  options: UploadOptions,
  onProgress?: (fraction: number) => void,
): Promise<AssistantDocument> {
  const query = new URLSearchParams({ name: file.name })
  if (!target) {
    query.set('visibility', options.visibility)
    if (options.visibility === 'clients' && options.sharedWith.length > 0) query.set('shared_with', options.sharedWith.join(','))
  }
  const url = target
    ? `/api/v1/assistant/documents/${encodeURIComponent(target)}/file?${query.toString()}`
    : `/api/v1/assistant/documents?${query.toString()}`
  return xhrUpload(target ? 'PUT' : 'POST', url, file, isDocument, () => sendViaClient(file, target, options), onProgress)
}

/** A problem found before sending: a kind the knowledge base doesn't read, or too large. */
export function checkDocument(file: File): string | undefined {
  const name = file.name.toLowerCase()
  if (!DOCUMENT_EXTENSIONS.some((ext) => name.endsWith(ext))) {
    return `${file.name} isn't a file the assistant reads: upload ${DOCUMENT_TYPES_TEXT} files.`
  }
  if (file.size > MAX_DOCUMENT_BYTES) return `${file.name} is larger than 25 MB, the most a document may be.`
  if (file.size === 0) return `${file.name} is empty.`
  return undefined
}

export interface UploadItem {
  key: number
  name: string
  /** The document whose file this replaces; null for a new document. */
  target: string | null
  /** 0 to 1. */
  progress: number
  state: 'waiting' | 'uploading' | 'failed'
  error?: unknown
}

/**
 * Uploads files one after another (several batches may run side by side), each with its own
 * progress, and keeps the document list current. A file that is sent disappears from the
 * items (the list shows it, queued); one that fails stays with its error until dismissed.
 */
export function useDocumentUploads() {
  const qc = useQueryClient()
  const put = usePutDocument()
  const [items, setItems] = useState<UploadItem[]>([])
  const next = useRef(1)

  const patch = useCallback((key: number, change: Partial<UploadItem>) => {
    setItems((all) => all.map((i) => (i.key === key ? { ...i, ...change } : i)))
  }, [])

  const run = useCallback(
    async (files: readonly File[], target: string | null, options: UploadOptions): Promise<AssistantDocument[]> => {
      const batch = files.map((file) => ({ file, key: next.current++ }))
      setItems((all) => [
        ...all.filter((i) => !(target && i.target === target)),
        ...batch.map(({ file, key }) => ({ key, name: file.name, target, progress: 0, state: 'waiting' as const })),
      ])
      const done: AssistantDocument[] = []
      for (const { file, key } of batch) {
        const problem = checkDocument(file)
        if (problem) {
          patch(key, { state: 'failed', error: new Error(problem) })
          continue
        }
        patch(key, { state: 'uploading' })
        try {
          const doc = await sendDocument(file, target, options, (progress) => patch(key, { progress }))
          done.push(doc)
          put(doc)
          setItems((all) => all.filter((i) => i.key !== key))
        } catch (e) {
          patch(key, { state: 'failed', error: e })
        }
      }
      if (done.length > 0) {
        void qc.invalidateQueries({ queryKey: queryKeys.assistantDocuments })
        void qc.invalidateQueries({ queryKey: queryKeys.billingAll })
        void qc.invalidateQueries({ queryKey: queryKeys.auditAll })
      }
      return done
    },
    [patch, put, qc],
  )

  const upload = useCallback((files: readonly File[], options: UploadOptions) => run(files, null, options), [run])
  const replace = useCallback(
    (doc: AssistantDocument, file: File) => run([file], doc.id, { visibility: doc.visibility, sharedWith: doc.shared_with }),
    [run],
  )
  const dismiss = useCallback((key: number) => setItems((all) => all.filter((i) => i.key !== key)), [])

  return { items, upload, replace, dismiss }
}
