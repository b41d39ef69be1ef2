import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, ensureOk, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'
import type { AssistantSettings, Conversation } from '@/lib/api/types'

/** Whether passages are searched by meaning and which model answers. */
export function useAssistantStatus() {
  return useQuery({
    queryKey: queryKeys.assistantStatus,
    queryFn: () => unwrap(api.GET('/api/v1/assistant/status')),
    staleTime: 60_000,
  })
}

export function useAssistantSettings() {
  return useQuery({
    queryKey: queryKeys.assistantSettings,
    queryFn: () => unwrap(api.GET('/api/v1/assistant/settings')),
  })
}

export function usePutSettings() {
  const qc = useQueryClient()
  return useMutation({
    /** The keys are write-only: `api_key` left out keeps the stored key, `""` removes it (`secret_key` alike). */
    mutationFn: (body: AssistantSettings) => unwrap(api.PUT('/api/v1/assistant/settings', { body })),
    onSuccess: (saved) => {
      qc.setQueryData(queryKeys.assistantSettings, saved)
      // Which model answers may have changed.
      void qc.invalidateQueries({ queryKey: queryKeys.assistantStatus })
      void qc.invalidateQueries({ queryKey: queryKeys.auditAll })
    },
  })
}

export function useConversations() {
  return useQuery({
    queryKey: queryKeys.assistantConversations,
    queryFn: () => unwrap(api.GET('/api/v1/assistant/conversations')),
    select: (list) => list.items,
  })
}

/**
 * A conversation with its messages. Only this person adds to it, and every answer refreshes
 * it, so it is kept fresh for a while: asking again mid-answer would show a half-saved turn.
 */
export function conversationQuery(id: string) {
  return queryOptions({
    queryKey: queryKeys.assistantConversation(id),
    queryFn: () => unwrap(api.GET('/api/v1/assistant/conversations/{conversation}', { params: { path: { conversation: id } } })),
    staleTime: 5 * 60_000,
  })
}

export function useConversation(id: string | null) {
  return useQuery({ ...conversationQuery(id ?? ''), enabled: id !== null })
}

/** Seeds a conversation the server has just started, so it is not asked for mid-answer. */
export function useSeedConversation() {
  const qc = useQueryClient()
  return (conversation: Conversation) => qc.setQueryData(queryKeys.assistantConversation(conversation.id), conversation)
}

export function useDeleteConversation() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) =>
      ensureOk(api.DELETE('/api/v1/assistant/conversations/{conversation}', { params: { path: { conversation: id } } })),
    onSuccess: (_, id) => {
      qc.removeQueries({ queryKey: queryKeys.assistantConversation(id) })
      void qc.invalidateQueries({ queryKey: queryKeys.assistantConversations })
    },
  })
}

/** The passage a citation points at. */
export function usePassage(id: string | null) {
  return useQuery({
    queryKey: queryKeys.assistantPassage(id ?? ''),
    queryFn: () => unwrap(api.GET('/api/v1/assistant/passages/{passage}', { params: { path: { passage: id ?? '' } } })),
    enabled: id !== null,
    staleTime: 5 * 60_000,
  })
}
