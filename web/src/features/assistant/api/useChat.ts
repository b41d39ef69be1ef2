import { useQueryClient } from '@tanstack/react-query'
import { useCallback, useEffect, useRef, useState } from 'react'
import { queryKeys } from '@/lib/api/queryKeys'
import type { AnswerMode, Citation } from '@/lib/api/types'
import { conversationQuery, useSeedConversation } from './assistant'
import { streamChat, streamError } from './chat'

/** The question being answered, and its answer as it streams in. */
export interface Turn {
  question: string
  answer: string
  citations: Citation[]
  mode: AnswerMode | null
  conversationId: string | null
  /** How many of the conversation's saved messages come before this turn. */
  base: number
  state: 'streaming' | 'done' | 'failed' | 'stopped'
  error: unknown
}

/**
 * Asks the assistant within the conversation `threadId` (a new one when null) and keeps the
 * turn being answered. When the answer is done the conversation is fetched again and the turn
 * gives way to the saved messages; a failed or stopped turn stays, with its reason, until the
 * next question. Opening another conversation stops an answer in progress.
 */
export function useChat(threadId: string | null, onStarted: (id: string) => void) {
  const qc = useQueryClient()
  const seed = useSeedConversation()
  const [turn, setTurn] = useState<Turn | null>(null)
  const current = useRef<AbortController | null>(null)
  // The conversation the turn belongs to, known before the address shows it.
  const expected = useRef<string | null>(null)

  const reset = useCallback(() => {
    current.current?.abort()
    current.current = null
    setTurn(null)
  }, [])

  useEffect(() => {
    if (threadId !== expected.current) reset()
  }, [threadId, reset])

  useEffect(() => () => current.current?.abort(), [])

  const stop = useCallback(() => current.current?.abort(), [])

  const send = useCallback(
    async (message: string, base: number) => {
      current.current?.abort()
      const controller = new AbortController()
      current.current = controller
      expected.current = threadId
      let conversationId = threadId
      let finished = false
      const update = (change: (t: Turn) => Turn) => setTurn((t) => (t && current.current === controller ? change(t) : t))
      setTurn({ question: message, answer: '', citations: [], mode: null, conversationId, base, state: 'streaming', error: null })
      try {
        await streamChat(
          { message, ...(threadId ? { conversation_id: threadId } : {}) },
          (event) => {
            switch (event.type) {
              case 'conversation':
                conversationId = event.id
                expected.current = event.id
                update((t) => ({ ...t, conversationId: event.id }))
                if (!threadId) {
                  seed({ id: event.id, title: message, messages: [] })
                  onStarted(event.id)
                }
                break
              case 'citations':
                update((t) => ({ ...t, citations: event.items }))
                break
              case 'delta':
                update((t) => ({ ...t, answer: t.answer + event.text }))
                break
              case 'done':
                finished = true
                update((t) => ({ ...t, mode: event.mode, state: 'done' }))
                break
              case 'error':
                update((t) => ({ ...t, state: 'failed', error: streamError(event.code, event.detail) }))
                break
            }
          },
          controller.signal,
        )
      } catch (e) {
        update((t) => (controller.signal.aborted ? { ...t, state: 'stopped' } : { ...t, state: 'failed', error: e }))
      }
      void qc.invalidateQueries({ queryKey: queryKeys.assistantConversations })
      // Each question counts against the plan's AI questions.
      void qc.invalidateQueries({ queryKey: queryKeys.billingAll })
      if (!conversationId || current.current !== controller) return
      try {
        await qc.fetchQuery({ ...conversationQuery(conversationId), staleTime: 0 })
        // The saved messages now hold this turn, citations and all.
        if (finished && current.current === controller) {
          current.current = null
          setTurn(null)
        }
      } catch {
        // The turn stays on screen as it streamed.
      }
    },
    [threadId, qc, seed, onStarted],
  )

  return { turn, send, stop, reset }
}
