import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ensureOk, unwrap } from '@/lib/api/client'
import { operatorApi } from '@/lib/api/operatorClient'
import { operatorSessionStore, useOperatorSession } from '@/lib/api/operatorSession'
import { queryKeys } from '@/lib/api/queryKeys'
import type { components } from '@/lib/api/schema'
import type { Meter } from '@/lib/api/types'

/** How far back the console counts trial outcomes. */
export const TRIAL_WINDOW_DAYS = 90

/** How many workspaces the usage table lists, heaviest first. */
export const USAGE_LIMIT = 50

export function useOperatorLogin() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: components['schemas']['OperatorLoginRequest']) =>
      unwrap(operatorApi.POST('/api/v1/operator/session', { body })),
    onSuccess: (session) => {
      qc.removeQueries({ queryKey: queryKeys.operatorAll })
      operatorSessionStore.set(session)
    },
  })
}

/** Ends the console session on the server (best effort) and forgets it here. */
export function useOperatorLogout() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: async () => {
      if (!operatorSessionStore.get()) return
      try {
        await ensureOk(operatorApi.DELETE('/api/v1/operator/session'))
      } catch {
        // Signing out here must work even when the server can't be reached or the session is gone.
      }
    },
    onSettled: () => {
      operatorSessionStore.clear('signed_out')
      qc.removeQueries({ queryKey: queryKeys.operatorAll })
    },
  })
}

export function useOperatorMe() {
  const session = useOperatorSession()
  return useQuery({
    queryKey: queryKeys.operatorMe,
    queryFn: () => unwrap(operatorApi.GET('/api/v1/operator/me')),
    enabled: session !== null,
    staleTime: 5 * 60_000,
  })
}

/** Revenue, plans, past-due workspaces and trial outcomes across the installation. */
export function usePlatformOverview() {
  const session = useOperatorSession()
  return useQuery({
    queryKey: queryKeys.operatorOverview(TRIAL_WINDOW_DAYS),
    queryFn: () => unwrap(operatorApi.GET('/api/v1/operator/billing', { params: { query: { days: TRIAL_WINDOW_DAYS } } })),
    enabled: session !== null,
  })
}

/** This period's heaviest users of one meter; keeps the previous meter's rows while the next loads. */
export function useUsageByWorkspace(meter: Meter) {
  const session = useOperatorSession()
  return useQuery({
    queryKey: queryKeys.operatorUsage(meter),
    queryFn: () => unwrap(operatorApi.GET('/api/v1/operator/usage', { params: { query: { meter, limit: USAGE_LIMIT } } })),
    enabled: session !== null,
    placeholderData: (previous) => previous,
  })
}
