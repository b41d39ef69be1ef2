import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { Icon } from '@/components/ui/Icon'
import { LoadError } from '@/components/ui/LoadError'
import { Skeleton } from '@/components/ui/Skeleton'
import { Spinner } from '@/components/ui/Spinner'
import { useMe } from '@/lib/api/me'
import { hasCode } from '@/lib/api/problem'
import type { Citation, ConversationMessage, ConversationSummary } from '@/lib/api/types'
import { canManage } from '@/lib/roles'
import { useAssistantStatus, useConversation } from '../api/assistant'
import { useDocuments } from '../api/documents'
import { useChat, type Turn } from '../api/useChat'
import { AnswerText, CitationChips, ModeNote } from './Answer'
import { ConversationList } from './ConversationList'
import { DeleteConversationDialog } from './DeleteConversationDialog'
import { PassageDialog } from './PassageDialog'
import { StatusNotice } from './StatusNotice'

const MAX_QUESTION = 2000

function Question({ text }: { text: string }) {
  return (
    <li className="chat-msg is-user">
      <p className="visually-hidden">You asked:</p>
      <div className="chat-bubble">{text}</div>
    </li>
  )
}

function SavedAnswer({ message, onCite }: { message: ConversationMessage; onCite: (c: Citation) => void }) {
  return (
    <li className="chat-msg is-assistant">
      <p className="visually-hidden">The assistant answered:</p>
      <div className="chat-answer">
        <AnswerText text={message.text} citations={message.citations} onCite={onCite} />
        <CitationChips citations={message.citations} onCite={onCite} />
        {message.mode ? <ModeNote mode={message.mode} cited={message.citations.length > 0} /> : null}
      </div>
    </li>
  )
}

function LiveAnswer({ turn, onCite }: { turn: Turn; onCite: (c: Citation) => void }) {
  const streaming = turn.state === 'streaming'
  return (
    <li className="chat-msg is-assistant" aria-busy={streaming || undefined}>
      <p className="visually-hidden">The assistant answered:</p>
      <div className="chat-answer">
        {turn.answer === '' && streaming ? (
          <p className="chat-thinking" role="status">
            <Spinner /> {turn.citations.length > 0 ? 'Writing the answer…' : 'Searching your documents…'}
          </p>
        ) : (
          <AnswerText text={turn.answer} citations={turn.citations} onCite={onCite} streaming={streaming} />
        )}
        {turn.state === 'failed' ? <FormError error={turn.error} /> : null}
        {turn.state === 'stopped' ? <p className="muted chat-stopped">Stopped before the end.</p> : null}
        {/* The sources are known before the text; they are shown once it is written. */}
        {!streaming ? <CitationChips citations={turn.citations} onCite={onCite} /> : null}
        {turn.mode ? <ModeNote mode={turn.mode} cited={turn.citations.length > 0} /> : null}
      </div>
    </li>
  )
}

/** The playground: try the assistant on the knowledge base, with each answer's sources one click away. */
export function PlaygroundPage() {
  const me = useMe()
  const manager = canManage(me.data?.role) && !me.data?.read_only
  const [params, setParams] = useSearchParams()
  const threadId = params.get('c')
  const conversation = useConversation(threadId)
  const status = useAssistantStatus()
  const documents = useDocuments()
  const [question, setQuestion] = useState('')
  const [citation, setCitation] = useState<Citation | null>(null)
  const [deleting, setDeleting] = useState<ConversationSummary | null>(null)
  const [historyOpen, setHistoryOpen] = useState(false)
  const scroller = useRef<HTMLDivElement>(null)
  const input = useRef<HTMLTextAreaElement>(null)

  const open = useCallback(
    (id: string | null, replace = false) => setParams(id ? { c: id } : {}, { replace }),
    [setParams],
  )
  const onStarted = useCallback((id: string) => open(id, true), [open])
  const chat = useChat(threadId, onStarted)
  const turn = chat.turn
  const streaming = turn?.state === 'streaming'

  const saved = conversation.data?.messages ?? []
  // A follow-up needs the conversation's messages first, to know where the new turn goes.
  const loading = threadId !== null && !conversation.data
  const shown = turn ? saved.slice(0, turn.base) : saved
  const ready = documents.data?.filter((d) => d.status === 'ready').length

  // Follow the answer as it grows, unless the reader has scrolled up to read.
  const pinned = useRef(true)
  // Where following last scrolled to: a scroll event that is not above it is not the reader's.
  const followedTo = useRef(0)
  useEffect(() => {
    const el = scroller.current
    if (!el || !pinned.current) return
    el.scrollTop = el.scrollHeight
    followedTo.current = el.scrollTop
  }, [turn, saved.length, threadId])

  const submit = (e?: FormEvent) => {
    e?.preventDefault()
    const message = question.trim()
    if (!message || streaming || loading) return
    setQuestion('')
    pinned.current = true
    void chat.send(message, saved.length)
  }

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) submit(e)
  }

  const startNew = () => {
    open(null)
    setHistoryOpen(false)
    input.current?.focus()
  }

  const title = threadId ? (conversation.data?.title ?? '') : 'New conversation'

  const list = (
    <ConversationList
      active={threadId}
      onOpen={(id) => {
        open(id)
        setHistoryOpen(false)
      }}
      onNew={startNew}
      onDelete={setDeleting}
    />
  )

  return (
    <div className="chat-layout">
      <aside className="card chat-side" aria-label="Conversations">
        {list}
      </aside>
      <section className="card chat-panel" aria-label="Chat">
        <header className="chat-head">
          <h2 className="chat-title">{title || <Skeleton width="40%" />}</h2>
          <div className="chat-head-actions">
            <Button
              size="sm"
              variant="ghost"
              icon="history"
              className="chat-history-btn"
              onClick={() => setHistoryOpen(true)}
              aria-label="Conversation history"
            >
              History
            </Button>
            <Button size="sm" icon="plus" className="chat-new-btn" onClick={startNew} disabled={threadId === null} aria-label="New chat">
              New chat
            </Button>
          </div>
        </header>
        <div
          className="chat-scroll"
          ref={scroller}
          onScroll={(e) => {
            const el = e.currentTarget
            pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48 || el.scrollTop >= followedTo.current - 2
          }}
        >
          <StatusNotice status={status.data} manager={manager} />
          {threadId && conversation.error ? (
            hasCode(conversation.error, 'conversation_not_found') || hasCode(conversation.error, 'invalid_path') ? (
              <EmptyState
                icon="search"
                title="Conversation not found"
                description="It may have been deleted."
                action={
                  <Button variant="primary" onClick={startNew}>
                    Start a new one
                  </Button>
                }
              />
            ) : (
              <LoadError error={conversation.error} onRetry={() => void conversation.refetch()} retrying={conversation.isFetching} />
            )
          ) : threadId && !conversation.data ? (
            <div className="stack-sm" role="status" aria-label="Loading the conversation">
              <Skeleton width="50%" height="2.2rem" />
              <Skeleton width="80%" height="4rem" />
            </div>
          ) : shown.length === 0 && !turn ? (
            <EmptyState
              icon="sparkles"
              title="Try your assistant"
              description={
                ready === 0 ? (
                  <>
                    It answers only from the knowledge base, and no document is ready yet.{' '}
                    <Link to="/assistant">Add documents</Link> first.
                  </>
                ) : (
                  'Ask what a customer would ask. It answers only from the knowledge base and shows the passage each answer comes from.'
                )
              }
            />
          ) : (
            <ol className="chat-thread" aria-label="Messages">
              {shown.map((m) =>
                m.role === 'user' ? <Question key={m.id} text={m.text} /> : <SavedAnswer key={m.id} message={m} onCite={setCitation} />,
              )}
              {turn ? (
                <>
                  <Question text={turn.question} />
                  <LiveAnswer turn={turn} onCite={setCitation} />
                </>
              ) : null}
            </ol>
          )}
        </div>
        <form className="chat-composer" onSubmit={submit}>
          <label className="visually-hidden" htmlFor="chat-question">
            Your question
          </label>
          <textarea
            id="chat-question"
            ref={input}
            className="input textarea chat-input"
            rows={2}
            maxLength={MAX_QUESTION}
            placeholder="Ask a question…"
            value={question}
            onChange={(e) => setQuestion(e.target.value)}
            onKeyDown={onKeyDown}
            aria-describedby="chat-hint"
          />
          <div className="chat-composer-row">
            <p id="chat-hint" className="muted chat-hint">
              Enter to send, Shift+Enter for a new line.{threadId ? ' Follow-up questions keep the conversation.' : ''}
            </p>
            {streaming ? (
              <Button onClick={chat.stop} icon="close">
                Stop
              </Button>
            ) : (
              <Button type="submit" variant="primary" disabled={question.trim() === '' || loading}>
                <span className="chat-send">
                  Ask <Icon name="arrowRight" size={16} />
                </span>
              </Button>
            )}
          </div>
        </form>
      </section>
      <Dialog open={historyOpen} onClose={() => setHistoryOpen(false)} title="Conversations" size="drawer">
        {list}
      </Dialog>
      <PassageDialog citation={citation} onClose={() => setCitation(null)} />
      <DeleteConversationDialog
        conversation={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={(id) => {
          if (id === threadId) open(null, true)
        }}
      />
    </div>
  )
}
