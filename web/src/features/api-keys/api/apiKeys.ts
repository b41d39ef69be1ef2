import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ensureOk, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'
import type { components } from '@/lib/api/schema'

/** Only owners and admins may list keys; pass whether this caller is one. */
export function useApiKeys(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.apiKeys,
    queryFn: () => unwrap(api.GET('/api/v1/api-keys')),
    select: (list) => list.items,
    enabled,
  })
}

function useInvalidateKeys() {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: queryKeys.apiKeys })
    void qc.invalidateQueries({ queryKey: queryKeys.auditAll })
  }
}

export function useCreateApiKey() {
  const invalidate = useInvalidateKeys()
  return useMutation({
    mutationFn: (body: components['schemas']['CreateApiKey']) => unwrap(api.POST('/api/v1/api-keys', { body })),
    onSuccess: invalidate,
  })
}

export function useRevokeApiKey() {
  const invalidate = useInvalidateKeys()
  return useMutation({
    mutationFn: (id: string) => ensureOk(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } })),
    onSettled: invalidate,
  })
}
