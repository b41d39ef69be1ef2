import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ensureOk, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'
import type { components } from '@/lib/api/schema'
import type { Role } from '@/lib/api/types'

export function useMembers() {
  return useQuery({
    queryKey: queryKeys.members,
    queryFn: () => unwrap(api.GET('/api/v1/members')),
    select: (list) => list.items,
  })
}

function useInvalidateTeam() {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: queryKeys.members })
    void qc.invalidateQueries({ queryKey: queryKeys.auditAll })
    // Members and invitations are seats, which billing meters.
    void qc.invalidateQueries({ queryKey: queryKeys.billingAll })
  }
}

export function useInviteMember() {
  const invalidate = useInvalidateTeam()
  return useMutation({
    mutationFn: (body: components['schemas']['InviteMember']) => unwrap(api.POST('/api/v1/members', { body })),
    onSuccess: invalidate,
  })
}

export function useUpdateMemberRole() {
  const invalidate = useInvalidateTeam()
  return useMutation({
    mutationFn: ({ id, role }: { id: string; role: Role }) =>
      unwrap(api.PATCH('/api/v1/members/{id}', { params: { path: { id } }, body: { role } })),
    onSettled: invalidate,
  })
}

export function useRemoveMember() {
  const invalidate = useInvalidateTeam()
  return useMutation({
    mutationFn: (id: string) => ensureOk(api.DELETE('/api/v1/members/{id}', { params: { path: { id } } })),
    onSettled: invalidate,
  })
}
