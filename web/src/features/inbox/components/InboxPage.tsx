import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { useSearchParams } from 'react-router'
import { Button } from '@/components/ui/Button'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { LoadError } from '@/components/ui/LoadError'
import { PageHeader } from '@/components/ui/PageHeader'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { useMe } from '@/lib/api/me'
import type { Channel, ChatMessage, NewChannelKind, PresenceStatus } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'
import {
  olderMessages,
  PAGE,
  useAddMembers,
  useChannelMessages,
  useChannels,
  useCreateChannel,
  useOpenDirect,
  usePeople,
  usePostMessage,
  usePresence,
} from '../api/inbox'
import { useRealtime, type Connection } from '../api/socket'

const MAX_MESSAGE = 8000

const KINDS: readonly NewChannelKind[] = ['team', 'private', 'clients']

const KIND_LABEL: Record<NewChannelKind, string> = {
  team: 'Team (not clients)',
  private: 'Private (members only)',
  clients: 'Shared with clients',
}

/** What the list and the header say about who reads a channel. */
function kindNote(c: Channel): string | null {
  if (c.kind === 'private') return 'private'
  if (c.kind === 'clients') return 'with clients'
  return null
}

function ChannelName({ c }: { c: Channel }) {
  const note = kindNote(c)
  return (
    <>
      {c.kind === 'direct' ? '@ ' : '# '}
      {c.name}
      {note ? <span className="inbox-kind"> · {note}</span> : null}
    </>
  )
}

function PresenceDot({ status, label }: { status: PresenceStatus; label: string }) {
  return <span className={`presence-dot is-${status}`} role="img" aria-label={`${label} is ${status}`} title={`${label}: ${status}`} />
}

function ConnectionNote({ connection }: { connection: Connection }) {
  if (connection === 'live') return null
  return (
    <p className="muted inbox-connection" role="status">
      {connection === 'connecting' ? 'Connecting…' : 'Offline: reconnecting, nothing will be missed.'}
    </p>
  )
}

function NewChannelForm({ onCreated }: { onCreated: (c: Channel) => void }) {
  const create = useCreateChannel()
  const [name, setName] = useState('')
  const [kind, setKind] = useState<NewChannelKind>('team')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (name.trim() === '') return
    create.mutate(
      { name: name.trim(), kind },
      {
        onSuccess: (c) => {
          setName('')
          setKind('team')
          onCreated(c)
        },
      },
    )
  }
  return (
    <form className="inbox-new stack-sm" onSubmit={submit} aria-label="New channel">
      <label className="field-label" htmlFor="new-channel-name">
        New channel name
      </label>
      <input
        id="new-channel-name"
        className="input"
        maxLength={80}
        placeholder="e.g. orders"
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <label className="visually-hidden" htmlFor="new-channel-kind">
        Who reads it
      </label>
      <select
        id="new-channel-kind"
        className="input"
        value={kind}
        onChange={(e) => setKind(KINDS.find((k) => k === e.target.value) ?? 'team')}
      >
        {KINDS.map((k) => (
          <option key={k} value={k}>
            {KIND_LABEL[k]}
          </option>
        ))}
      </select>
      <FormError error={create.error} />
      <Button type="submit" icon="plus" disabled={name.trim() === '' || create.isPending}>
        Create channel
      </Button>
    </form>
  )
}

/** Opens the direct-message channel with one person of the workspace. */
function MessageSomeone({ people, onOpened }: { people: { id: string; label: string }[]; onOpened: (c: Channel) => void }) {
  const open = useOpenDirect()
  const [user, setUser] = useState('')
  if (people.length === 0) return null
  return (
    <form
      className="inbox-add"
      aria-label="Direct message"
      onSubmit={(e) => {
        e.preventDefault()
        if (!user) return
        open.mutate(user, {
          onSuccess: (c) => {
            setUser('')
            onOpened(c)
          },
        })
      }}
    >
      <label className="visually-hidden" htmlFor="inbox-direct">
        Message someone directly
      </label>
      <select id="inbox-direct" className="input" value={user} onChange={(e) => setUser(e.target.value)}>
        <option value="">Message someone…</option>
        {people.map((p) => (
          <option key={p.id} value={p.id}>
            {p.label}
          </option>
        ))}
      </select>
      <Button type="submit" size="sm" disabled={!user || open.isPending}>
        Open
      </Button>
      <FormError error={open.error} />
    </form>
  )
}

/** Adds people of the workspace to a channel (who reads a private or client channel is who is in it). */
function AddPeople({ channel, people }: { channel: Channel; people: { id: string; label: string; role: string }[] }) {
  const add = useAddMembers(channel.id)
  const [user, setUser] = useState('')
  const candidates = people.filter((p) => !channel.members.includes(p.id) && (channel.kind !== 'team' || p.role !== 'client'))
  if (candidates.length === 0) return null
  return (
    <form
      className="inbox-add"
      onSubmit={(e) => {
        e.preventDefault()
        if (user) add.mutate([user], { onSuccess: () => setUser('') })
      }}
    >
      <label className="visually-hidden" htmlFor="inbox-add-person">
        Add someone to this channel
      </label>
      <select id="inbox-add-person" className="input" value={user} onChange={(e) => setUser(e.target.value)}>
        <option value="">Add someone…</option>
        {candidates.map((p) => (
          <option key={p.id} value={p.id}>
            {p.label}
            {p.role === 'client' ? ' (client)' : ''}
          </option>
        ))}
      </select>
      <Button type="submit" size="sm" disabled={!user || add.isPending}>
        Add
      </Button>
      <FormError error={add.error} />
    </form>
  )
}

function MessageItem({ m, mine, author }: { m: ChatMessage; mine: boolean; author: string }) {
  return (
    <li className={mine ? 'chat-msg is-user inbox-msg' : 'chat-msg inbox-msg'}>
      <div className="inbox-msg-meta">
        <span className="strong">{mine ? 'You' : author}</span>{' '}
        <time className="muted" dateTime={m.created_at} title={absoluteTime(m.created_at)}>
          {relativeTime(m.created_at)}
        </time>
        {m.edited_at ? <span className="muted"> · edited</span> : null}
      </div>
      <div className={m.deleted ? 'chat-bubble is-deleted' : 'chat-bubble'}>{m.deleted ? 'Message deleted' : m.body}</div>
    </li>
  )
}

/** Channels beside the open one: messages arrive live, with who is online and who is typing. */
export function InboxPage() {
  const me = useMe()
  const channels = useChannels()
  const manager = me.data !== undefined && me.data.role !== 'client' && !me.data.read_only
  const members = usePeople(manager)
  const presence = usePresence()
  const [params, setParams] = useSearchParams()
  const open = params.get('channel')
  const realtime = useRealtime(channels.data)
  const messages = useChannelMessages(open)
  const post = usePostMessage(open ?? '')
  const [text, setText] = useState('')
  const scroller = useRef<HTMLDivElement>(null)
  const composer = useRef<HTMLTextAreaElement>(null)
  const nearBottom = useRef(true)
  const shownChannel = useRef<string | null>(null)

  const channelsData = channels.data
  const names = useMemo(() => {
    const map: Record<string, string> = {}
    // Every channel names its members (clients may not list the workspace); the team's list fills the rest.
    for (const c of channelsData ?? []) c.members.forEach((id, i) => (map[id] = c.member_names[i] || map[id] || ''))
    for (const m of members.data ?? []) map[m.id] = m.name?.trim() || m.email
    return map
  }, [members.data, channelsData])
  const statusOf = (user: string): PresenceStatus => presence.data?.find((p) => p.user === user)?.status ?? 'offline'
  const channel = channels.data?.find((c) => c.id === open) ?? null
  const myId = me.data?.user?.id

  // The newest message in view; read up to it.
  // Older pages, loaded on request and kept while the channel stays open.
  const [older, setOlder] = useState<{ channel: string | null; items: ChatMessage[]; done: boolean }>({ channel: null, items: [], done: false })
  const [loadingOlder, setLoadingOlder] = useState(false)
  const [olderError, setOlderError] = useState<unknown>(null)
  const earlier = older.channel === open ? older : { channel: open, items: [], done: false }
  const latest = messages.data
  const list = latest ? [...earlier.items.filter((m) => !latest.some((l) => l.id === m.id)), ...latest] : undefined
  const last = latest?.[latest.length - 1]
  const hasOlder = !earlier.done && list !== undefined && (earlier.items.length > 0 || (latest?.length ?? 0) >= PAGE)
  const loadOlder = async () => {
    const first = list?.[0]
    if (!open || !first) return
    const el = scroller.current
    const fromBottom = el ? el.scrollHeight - el.scrollTop : 0
    setLoadingOlder(true)
    setOlderError(null)
    try {
      const page = await olderMessages(open, first.seq)
      setOlder({ channel: open, items: [...page, ...earlier.items], done: page.length < PAGE })
      // Keep the reader where they were once the page is above them.
      window.requestAnimationFrame(() => {
        if (el) el.scrollTop = el.scrollHeight - fromBottom
      })
    } catch (e) {
      setOlderError(e)
    } finally {
      setLoadingOlder(false)
    }
  }
  useEffect(() => {
    // Follow new messages only when at the bottom already, or when they are one's own:
    // someone reading older messages keeps their place.
    const switched = shownChannel.current !== open
    if (switched || nearBottom.current || last?.author === myId) {
      scroller.current?.scrollTo({ top: scroller.current.scrollHeight })
    }
    if (list) shownChannel.current = open
    if (open && last && channel && last.seq > channel.last_read_seq) realtime.markRead(open, last.seq)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, last?.id, last?.changed_seq])

  const typingNames = Object.entries(realtime.typing[open ?? ''] ?? {})
    .filter(([u]) => u !== myId)
    .map(([u]) => names[u] ?? 'Someone')

  const send = (e?: FormEvent) => {
    e?.preventDefault()
    const body = text.trim()
    if (!open || body === '' || post.isPending) return
    post.mutate(body, { onSuccess: () => setText('') })
  }
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault()
      send()
    }
  }
  const select = (id: string | null) => {
    setParams(id ? { channel: id } : {}, { replace: false })
    // Straight to writing, for keyboard users too.
    if (id) window.setTimeout(() => composer.current?.focus(), 0)
  }

  const side = (
    <aside className="card chat-side inbox-side" aria-label="Channel list">
      <ConnectionNote connection={realtime.connection} />
      {channels.error ? (
        <LoadError error={channels.error} onRetry={() => void channels.refetch()} retrying={channels.isFetching} />
      ) : !channels.data ? (
        <SkeletonRows rows={3} label="Loading channels" />
      ) : channels.data.length === 0 ? (
        <p className="muted convo-empty">
          {manager ? 'No channel yet. Make the first one below.' : 'No channel is shared with you yet. The team adds you to one when there is something to talk about.'}
        </p>
      ) : (
        <ul className="convo-list" aria-label="Channels">
          {channels.data.map((c) => (
            <li key={c.id} className={c.id === open ? 'convo is-active' : 'convo'}>
              <button type="button" className="convo-open" onClick={() => select(c.id)} aria-current={c.id === open ? 'true' : undefined}>
                <span className="convo-title">
                  <ChannelName c={c} />
                </span>
                {c.unread > 0 ? (
                  <span className="badge badge-accent inbox-unread" aria-label={`${c.unread} unread`}>
                    {c.unread}
                  </span>
                ) : null}
              </button>
            </li>
          ))}
        </ul>
      )}
      {manager ? (
        <MessageSomeone
          people={(members.data ?? []).filter((m) => m.id !== myId && m.status === 'active').map((m) => ({ id: m.id, label: m.name?.trim() || m.email }))}
          onOpened={(c) => select(c.id)}
        />
      ) : null}
      {manager ? <NewChannelForm onCreated={(c) => select(c.id)} /> : null}
    </aside>
  )

  return (
    <div className="stack">
      <PageHeader title="Inbox" description="Talk with your team and your clients. Messages arrive as they are written." />
      <div className={open ? 'chat-layout inbox-layout has-open' : 'chat-layout inbox-layout'}>
        {side}
        <section className="card chat-panel inbox-panel" aria-label="Conversation">
          {!channel ? (
            <EmptyState icon="inbox" title="Pick a channel" description="Choose a channel on the left, or make a new one." />
          ) : (
            <>
              <header className="chat-head">
                <Button size="sm" variant="ghost" icon="arrowLeft" className="inbox-back" onClick={() => select(null)}>
                  Channels
                </Button>
                <h2 className="chat-title">
                  <ChannelName c={channel} />
                </h2>
                <ConnectionNote connection={realtime.connection} />
                <ul className="inbox-members" aria-label="Members">
                  {channel.members.map((u) => (
                    <li key={u}>
                      <PresenceDot status={statusOf(u)} label={names[u] ?? 'A member'} />
                      <span className="inbox-member-name">{u === myId ? 'You' : (names[u] ?? 'A member')}</span>
                    </li>
                  ))}
                </ul>
                {manager && channel.kind !== 'direct' ? (
                  <AddPeople
                    channel={channel}
                    people={(members.data ?? []).map((m) => ({ id: m.id, label: m.name?.trim() || m.email, role: m.role }))}
                  />
                ) : null}
              </header>
              <div
                className="chat-scroll"
                ref={scroller}
                aria-live="polite"
                aria-relevant="additions"
                onScroll={(e) => {
                  const el = e.currentTarget
                  nearBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48
                }}
              >
                {messages.error ? (
                  <LoadError error={messages.error} onRetry={() => void messages.refetch()} retrying={messages.isFetching} />
                ) : !list ? (
                  <SkeletonRows rows={3} label="Loading messages" />
                ) : list.length === 0 ? (
                  <EmptyState icon="chat" title="No messages yet" description="Say hello: everyone in the channel sees it at once." />
                ) : (
                  <>
                    {hasOlder ? (
                      <div className="inbox-older">
                        <Button size="sm" variant="ghost" onClick={() => void loadOlder()} disabled={loadingOlder}>
                          {loadingOlder ? 'Loading…' : 'Load earlier messages'}
                        </Button>
                        <FormError error={olderError} />
                      </div>
                    ) : null}
                    <ol className="chat-thread" aria-label="Messages">
                      {list.map((m) => (
                        <MessageItem key={m.id} m={m} mine={m.author === myId} author={names[m.author ?? ''] ?? 'A program'} />
                      ))}
                    </ol>
                  </>
                )}
              </div>
              <p className="muted inbox-typing" aria-live="polite">
                {typingNames.length > 0 ? `${typingNames.join(', ')} ${typingNames.length > 1 ? 'are' : 'is'} typing…` : ' '}
              </p>
              <form className="chat-composer" onSubmit={send}>
                <label className="visually-hidden" htmlFor="inbox-message">
                  Message
                </label>
                <textarea
                  id="inbox-message"
                  ref={composer}
                  className="input textarea chat-input"
                  rows={2}
                  maxLength={MAX_MESSAGE}
                  placeholder={`Message #${channel.name}`}
                  value={text}
                  onChange={(e) => {
                    setText(e.target.value)
                    if (post.error) post.reset()
                    if (e.target.value.trim() !== '') realtime.sendTyping(channel.id)
                  }}
                  onKeyDown={onKeyDown}
                  aria-describedby="inbox-hint"
                />
                <div className="chat-composer-row">
                  <p id="inbox-hint" className="muted chat-hint">
                    Enter to send, Shift+Enter for a new line.
                  </p>
                  <Button type="submit" variant="primary" disabled={text.trim() === '' || post.isPending}>
                    Send
                  </Button>
                </div>
                <FormError error={post.error} />
              </form>
            </>
          )}
        </section>
      </div>
    </div>
  )
}
