import { Button } from '@/components/ui/Button'
import { Icon } from '@/components/ui/Icon'
import { LoadError } from '@/components/ui/LoadError'
import { SkeletonRows } from '@/components/ui/Skeleton'
import type { ConversationSummary } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'
import { useConversations } from '../api/assistant'

interface ConversationListProps {
  active: string | null
  onOpen: (id: string) => void
  onNew: () => void
  onDelete: (c: ConversationSummary) => void
}

/** The person's conversations, newest first: open one, delete one, or start another. */
export function ConversationList({ active, onOpen, onNew, onDelete }: ConversationListProps) {
  const conversations = useConversations()
  const list = conversations.data

  return (
    <div className="convo-panel">
      <Button icon="plus" onClick={onNew} block disabled={active === null}>
        New chat
      </Button>
      {conversations.error ? (
        <LoadError error={conversations.error} onRetry={() => void conversations.refetch()} retrying={conversations.isFetching} />
      ) : !list ? (
        <SkeletonRows rows={3} label="Loading conversations" />
      ) : list.length === 0 ? (
        <p className="muted convo-empty">Your conversations appear here. Only you see them.</p>
      ) : (
        <ul className="convo-list" aria-label="Conversations">
          {list.map((c) => (
            <li key={c.id} className={c.id === active ? 'convo is-active' : 'convo'}>
              <button type="button" className="convo-open" onClick={() => onOpen(c.id)} aria-current={c.id === active ? 'true' : undefined}>
                <span className="convo-title">{c.title || 'Untitled'}</span>
                <time className="convo-time" dateTime={c.updated_at} title={absoluteTime(c.updated_at)}>
                  {relativeTime(c.updated_at)}
                </time>
              </button>
              <button type="button" className="icon-btn convo-delete" onClick={() => onDelete(c)} aria-label={`Delete the conversation “${c.title}”`}>
                <Icon name="trash" size={16} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
