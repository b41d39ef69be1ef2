import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import { queryKeys } from '@/lib/api/queryKeys'
import { sessionStore } from '@/lib/api/session'
import type { Channel, ChatMessage, Presence, PresenceStatus } from '@/lib/api/types'
import { mergeMessage } from './inbox'

/** Who is typing where: channel id → user id → until when (ms). */
export type Typing = Record<string, Record<string, number>>

export type Connection = 'connecting' | 'live' | 'offline'

interface RealtimeApi {
  connection: Connection
  typing: Typing
  /** Tells the channel the person is typing (sent at most every 3 s). */
  sendTyping: (channel: string) => void
  /** Moves the read mark forward. */
  markRead: (channel: string, seq: number) => void
}

const TYPING_SHOWN_MS = 5_000

/** The server's frames this page acts on (docs/realtime.md). */
type Frame =
  | { type: 'ready' }
  | { type: 'message' | 'update'; seq: number; message: ChatMessage }
  | { type: 'subscribed'; channel: string; seq: number }
  | { type: 'reload'; channel: string }
  | { type: 'typing'; channel: string; user: string }
  | { type: 'presence'; user: string; status: PresenceStatus }
  | { type: 'channel' }

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}

function isStatus(v: unknown): v is PresenceStatus {
  return v === 'online' || v === 'away' || v === 'offline'
}

/** A message as the server sends it (checked where the page relies on it). */
function isMessage(v: unknown): v is ChatMessage {
  return isObject(v) && typeof v.id === 'string' && typeof v.channel_id === 'string' && typeof v.seq === 'number'
}

/** Reads a frame; anything else (unknown types, malformed) is ignored. */
function parseFrame(data: string): Frame | null {
  let v: unknown
  try {
    v = JSON.parse(data)
  } catch {
    return null
  }
  if (!isObject(v)) return null
  const { type, channel, seq, user } = v
  switch (type) {
    case 'ready':
      return { type }
    case 'message':
    case 'update':
      return typeof seq === 'number' && isMessage(v.message) ? { type, seq, message: v.message } : null
    case 'subscribed':
      return typeof channel === 'string' && typeof seq === 'number' ? { type, channel, seq } : null
    case 'reload':
      return typeof channel === 'string' ? { type, channel } : null
    case 'typing':
      return typeof channel === 'string' && typeof user === 'string' ? { type, channel, user } : null
    case 'presence':
      return typeof user === 'string' && isStatus(v.status) ? { type, user, status: v.status } : null
    case 'channel':
    case 'removed':
    case 'deleted':
    // A read mark moved (this person's on another device, or here): unread counts change.
    case 'read':
      return { type: 'channel' }
    default:
      return null
  }
}

/**
 * The realtime socket (docs/realtime.md) for the inbox: authenticates with the session's
 * access token, listens to every channel the person may read, keeps the query cache current
 * (messages, unread counts, presence), and on a dropped connection reconnects with the last
 * number it saw per channel, so nothing is missed.
 */
export function useRealtime(channels: readonly Channel[] | undefined): RealtimeApi {
  const qc = useQueryClient()
  const [connection, setConnection] = useState<Connection>('connecting')
  const [typing, setTyping] = useState<Typing>({})
  const ws = useRef<WebSocket | null>(null)
  const lastSeq = useRef<Record<string, number>>({})
  const subscribed = useRef<Set<string>>(new Set())
  const lastTyping = useRef<Record<string, number>>({})
  const ids = (channels ?? []).map((c) => c.id).join(',')

  const subscribe = (socket: WebSocket, channel: string) => {
    if (subscribed.current.has(channel)) return
    subscribed.current.add(channel)
    const since = lastSeq.current[channel]
    socket.send(JSON.stringify({ type: 'subscribe', channel, since: since ?? null }))
  }

  // One socket for the page's life; reconnects with a growing pause.
  useEffect(() => {
    let stopped = false
    let retry = 0
    let timer: number | undefined
    const connect = () => {
      const token = sessionStore.get()?.access_token
      if (!token || stopped) return
      setConnection('connecting')
      const socket = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/v1/realtime`)
      ws.current = socket
      subscribed.current = new Set()
      socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }))
      socket.onmessage = (e: MessageEvent<string>) => {
        const f = parseFrame(e.data)
        if (!f) return
        switch (f.type) {
          case 'ready':
            retry = 0
            setConnection('live')
            for (const c of qc.getQueryData<{ items: Channel[] }>(queryKeys.channels)?.items ?? []) subscribe(socket, c.id)
            void qc.invalidateQueries({ queryKey: queryKeys.presence })
            break
          case 'message':
          case 'update': {
            const m = f.message
            lastSeq.current[m.channel_id] = Math.max(lastSeq.current[m.channel_id] ?? 0, f.seq)
            qc.setQueryData(queryKeys.channelMessages(m.channel_id), (old: { items: ChatMessage[] } | undefined) => mergeMessage(old, m))
            if (f.type === 'message') void qc.invalidateQueries({ queryKey: queryKeys.channels })
            const author = m.author
            if (author) {
              setTyping((t) => {
                const inChannel = { ...(t[m.channel_id] ?? {}) }
                delete inChannel[author]
                return { ...t, [m.channel_id]: inChannel }
              })
            }
            break
          }
          case 'subscribed':
            lastSeq.current[f.channel] = Math.max(lastSeq.current[f.channel] ?? 0, f.seq)
            break
          case 'reload':
            void qc.invalidateQueries({ queryKey: queryKeys.channelMessages(f.channel) })
            break
          case 'typing':
            setTyping((t) => ({ ...t, [f.channel]: { ...(t[f.channel] ?? {}), [f.user]: Date.now() + TYPING_SHOWN_MS } }))
            break
          case 'presence':
            qc.setQueryData(queryKeys.presence, (old: { items: Presence[] } | undefined) => {
              const rest = (old?.items ?? []).filter((p) => p.user !== f.user)
              return { items: f.status === 'offline' ? rest : [...rest, { user: f.user, status: f.status }] }
            })
            break
          case 'channel':
            void qc.invalidateQueries({ queryKey: queryKeys.channels })
            break
        }
      }
      socket.onclose = () => {
        if (ws.current === socket) ws.current = null
        if (stopped) return
        setConnection('offline')
        // A token may have expired meanwhile: the next request refreshes it.
        void qc.invalidateQueries({ queryKey: queryKeys.me })
        retry = Math.min(retry + 1, 6)
        timer = window.setTimeout(connect, 500 * 2 ** retry)
      }
    }
    connect()
    const away = () => {
      const status = document.visibilityState === 'hidden' ? 'away' : 'online'
      if (ws.current?.readyState === WebSocket.OPEN) ws.current.send(JSON.stringify({ type: 'presence', status }))
    }
    document.addEventListener('visibilitychange', away)
    return () => {
      stopped = true
      window.clearTimeout(timer)
      document.removeEventListener('visibilitychange', away)
      ws.current?.close()
    }
  }, [qc])

  // Channels that appear later are listened to as well.
  useEffect(() => {
    const socket = ws.current
    if (!socket || socket.readyState !== WebSocket.OPEN || connection !== 'live') return
    for (const id of ids.split(',').filter(Boolean)) subscribe(socket, id)
  }, [ids, connection])

  // Typing lines fade on their own.
  useEffect(() => {
    const t = window.setInterval(() => {
      const now = Date.now()
      setTyping((cur) => {
        let changed = false
        const next: Typing = {}
        for (const [ch, users] of Object.entries(cur)) {
          next[ch] = {}
          for (const [u, until] of Object.entries(users)) {
            if (until > now) next[ch][u] = until
            else changed = true
          }
        }
        return changed ? next : cur
      })
    }, 1_000)
    return () => window.clearInterval(t)
  }, [])

  return {
    connection,
    typing,
    sendTyping: (channel) => {
      const now = Date.now()
      if ((lastTyping.current[channel] ?? 0) + 3_000 > now) return
      lastTyping.current[channel] = now
      if (ws.current?.readyState === WebSocket.OPEN) ws.current.send(JSON.stringify({ type: 'typing', channel }))
    },
    markRead: (channel, seq) => {
      if (ws.current?.readyState === WebSocket.OPEN) ws.current.send(JSON.stringify({ type: 'read', channel, seq }))
    },
  }
}
