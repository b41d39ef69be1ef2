import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ensureOk, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'
import type { components } from '@/lib/api/schema'
import type { AssistantDocument } from '@/lib/api/types'

/** How often the list is asked again while a document is being read. */
export const POLL_MS = 1500

/** Ready or failed: nothing more will happen to it without a new file. */
export function isSettled(doc: AssistantDocument): boolean {
  return doc.status === 'ready' || doc.status === 'failed'
}

/** The documents the caller may read, asked again every 1.5 s while any is still being read. */
export function useDocuments() {
  return useQuery({
    queryKey: queryKeys.assistantDocuments,
    queryFn: () => unwrap(api.GET('/api/v1/assistant/documents')),
    select: (list) => list.items,
    refetchInterval: (query) => (query.state.data?.items.some((d) => !isSettled(d)) ? POLL_MS : false),
  })
}

/**
 * The workspace's client members, whom a document can be shared with. The same query as the
 * Team page's, so both read one cache. `fresh` asks the server again on every mount (the picker:
 * a client invited a moment ago may have joined since, with a name).
 */
export function useClientMembers(enabled: boolean, fresh = false) {
  return useQuery({
    queryKey: queryKeys.members,
    queryFn: () => unwrap(api.GET('/api/v1/members')),
    select: (list) => list.items.filter((m) => m.role === 'client'),
    enabled,
    refetchOnMount: fresh ? 'always' : true,
  })
}

/** Puts a document the server answered with into the cached list (newest first). */
export function usePutDocument() {
  const qc = useQueryClient()
  return (doc: AssistantDocument) => {
    qc.setQueryData<{ items: AssistantDocument[] }>(queryKeys.assistantDocuments, (list) => {
      if (!list) return list
      const known = list.items.some((d) => d.id === doc.id)
      return { items: known ? list.items.map((d) => (d.id === doc.id ? doc : d)) : [doc, ...list.items] }
    })
  }
}

function useInvalidateDocuments() {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: queryKeys.assistantDocuments })
    void qc.invalidateQueries({ queryKey: queryKeys.auditAll })
  }
}

export function usePatchDocument() {
  const put = usePutDocument()
  const invalidate = useInvalidateDocuments()
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: components['schemas']['DocumentPatch'] }) =>
      unwrap(api.PATCH('/api/v1/assistant/documents/{document}', { params: { path: { document: id } }, body })),
    onSuccess: (doc) => {
      put(doc)
      invalidate()
    },
  })
}

export function useDeleteDocument() {
  const qc = useQueryClient()
  const invalidate = useInvalidateDocuments()
  return useMutation({
    mutationFn: (id: string) =>
      ensureOk(api.DELETE('/api/v1/assistant/documents/{document}', { params: { path: { document: id } } })),
    onSuccess: (_, id) => {
      qc.setQueryData<{ items: AssistantDocument[] }>(queryKeys.assistantDocuments, (list) =>
        list ? { items: list.items.filter((d) => d.id !== id) } : list,
      )
      invalidate()
      // Documents are stored bytes, which billing meters.
      void qc.invalidateQueries({ queryKey: queryKeys.billingAll })
    },
  })
}
