import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'
import type { Channel, ChatMessage, NewChannelKind } from '@/lib/api/types'

/** The channels the signed-in person may read, with unread counts. */
export function useChannels() {
  return useQuery({
    queryKey: queryKeys.channels,
    queryFn: () => unwrap(api.GET('/api/v1/realtime/channels')),
    select: (list) => list.items,
  })
}

/** How many messages a page of a channel holds. */
export const PAGE = 100

/** Messages of a channel numbered below `before`, oldest first (paging back). */
export async function olderMessages(channel: string, before: number): Promise<ChatMessage[]> {
  const page = await unwrap(
    api.GET('/api/v1/realtime/channels/{channel}/messages', { params: { path: { channel }, query: { before, limit: PAGE } } }),
  )
  return page.items
}

/** The latest messages of a channel, oldest first; the socket keeps them current. */
export function useChannelMessages(id: string | null) {
  return useQuery({
    queryKey: queryKeys.channelMessages(id ?? ''),
    queryFn: () =>
      unwrap(api.GET('/api/v1/realtime/channels/{channel}/messages', { params: { path: { channel: id ?? '' }, query: { limit: PAGE } } })),
    select: (list) => list.items,
    enabled: id !== null,
  })
}

/** The workspace's people, for names and adding to channels: the same query as the Team page's, one cache. Clients may not list them. */
export function usePeople(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.members,
    queryFn: () => unwrap(api.GET('/api/v1/members')),
    select: (list) => list.items,
    enabled,
  })
}

/** Who is online or away. */
export function usePresence() {
  return useQuery({
    queryKey: queryKeys.presence,
    queryFn: () => unwrap(api.GET('/api/v1/realtime/presence')),
    select: (list) => list.items,
  })
}

export function useCreateChannel() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: { name: string; kind: NewChannelKind; topic?: string }) =>
      unwrap(api.POST('/api/v1/realtime/channels', { body: { ...body, members: [] } })),
    onSuccess: (created: Channel) => {
      qc.setQueryData(queryKeys.channels, (old: { items: Channel[] } | undefined) =>
        old ? { items: old.items.some((c) => c.id === created.id) ? old.items : [...old.items, created] } : old,
      )
    },
  })
}

/** Adds a message to a channel's cached page, or replaces it by id (edits, replays). */
export function mergeMessage(old: { items: ChatMessage[] } | undefined, m: ChatMessage): { items: ChatMessage[] } | undefined {
  if (!old) return old
  const at = old.items.findIndex((x) => x.id === m.id)
  const found = old.items[at]
  if (found) {
    if (found.changed_seq >= m.changed_seq) return old
    const items = old.items.slice()
    items[at] = m
    return { items }
  }
  if (m.thread_id) return old
  return { items: [...old.items, m].sort((a, b) => a.seq - b.seq) }
}

export function usePostMessage(channel: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: string) =>
      unwrap(api.POST('/api/v1/realtime/channels/{channel}/messages', { params: { path: { channel } }, body: { body } })),
    onSuccess: (m) => {
      qc.setQueryData(queryKeys.channelMessages(channel), (old: { items: ChatMessage[] } | undefined) => mergeMessage(old, m))
    },
  })
}

export function useAddMembers(channel: string) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (users: string[]) =>
      unwrap(api.POST('/api/v1/realtime/channels/{channel}/members', { params: { path: { channel } }, body: { add: users, remove: [] } })),
    onSuccess: (updated: Channel) => {
      qc.setQueryData(queryKeys.channels, (old: { items: Channel[] } | undefined) =>
        old ? { items: old.items.map((c) => (c.id === updated.id ? updated : c)) } : old,
      )
    },
  })
}

/** The direct-message channel with one person, made on first use. */
export function useOpenDirect() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (user: string) => unwrap(api.POST('/api/v1/realtime/direct', { body: { user } })),
    onSuccess: (c: Channel) => {
      qc.setQueryData(queryKeys.channels, (old: { items: Channel[] } | undefined) =>
        old ? { items: old.items.some((x) => x.id === c.id) ? old.items : [...old.items, c] } : old,
      )
    },
  })
}
