import { api } from '@/lib/api/client'
import { ApiError, networkError, toApiError } from '@/lib/api/problem'
import type { AnswerMode, Citation } from '@/lib/api/types'
import { createSseParser } from './sse'

/** What the answer stream says, in the order the server sends it. */
export type ChatEvent =
  | { type: 'conversation'; id: string }
  | { type: 'citations'; items: Citation[] }
  | { type: 'delta'; text: string }
  | { type: 'done'; messageId: string; mode: AnswerMode; tokens: number }
  | { type: 'error'; code: string; detail: string }

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function optionalNumber(v: unknown): number | null {
  return typeof v === 'number' ? v : null
}

function optionalString(v: unknown): string | null {
  return typeof v === 'string' ? v : null
}

/** A citation as sent, or null when a field is missing. */
export function toCitation(v: unknown): Citation | null {
  if (!isObj(v)) return null
  const { n, passage_id, document_id, document_title, quote } = v
  if (typeof n !== 'number' || typeof passage_id !== 'string' || typeof document_id !== 'string') return null
  if (typeof document_title !== 'string' || typeof quote !== 'string') return null
  return {
    n,
    passage_id,
    document_id,
    document_title,
    quote,
    page: optionalNumber(v.page),
    heading: optionalString(v.heading),
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** An event of the stream as a typed value; unknown or malformed events are skipped. */
export function toChatEvent(name: string, data: string): ChatEvent | null {
  const body = parseJson(data)
  if (!isObj(body)) return null
  switch (name) {
    case 'conversation':
      return typeof body.id === 'string' ? { type: 'conversation', id: body.id } : null
    case 'citations': {
      const items = Array.isArray(body.items) ? body.items.map(toCitation) : []
      return { type: 'citations', items: items.filter((c): c is Citation => c !== null) }
    }
    case 'delta':
      return typeof body.text === 'string' ? { type: 'delta', text: body.text } : null
    case 'done':
      return {
        type: 'done',
        messageId: typeof body.message_id === 'string' ? body.message_id : '',
        mode: body.mode === 'llm' ? 'llm' : 'extractive',
        tokens: typeof body.tokens === 'number' ? body.tokens : 0,
      }
    case 'error':
      return {
        type: 'error',
        code: typeof body.code === 'string' ? body.code : 'internal',
        detail: typeof body.detail === 'string' ? body.detail : '',
      }
    default:
      return null
  }
}

/** An `error` event as the ApiError the rest of the app shows. */
export function streamError(code: string, detail: string): ApiError {
  return new ApiError({ type: 'about:blank', title: 'The answer failed', status: 0, code, detail, field: null, request_id: '' })
}

export interface ChatRequest {
  message: string
  conversation_id?: string
}

/**
 * Asks the assistant and hands each event of the answer to `onEvent` as it arrives. Goes
 * through the API client, so the bearer token is added and an expired session is refreshed
 * and the question sent again. Throws an ApiError for a refusal (a problem document), a
 * network failure, or a stream that ends before `done`; an abort throws the AbortError.
 */
export async function streamChat(body: ChatRequest, onEvent: (event: ChatEvent) => void, signal: AbortSignal): Promise<void> {
  let result
  try {
    result = await api.POST('/api/v1/assistant/chat', {
      body,
      parseAs: 'stream',
      signal,
      headers: { Accept: 'text/event-stream' },
    })
  } catch (e) {
    if (signal.aborted) throw e
    throw networkError(e)
  }
  if (!result.response.ok || !result.data) throw toApiError(result.error, result.response)

  const reader = result.data.pipeThrough(new TextDecoderStream()).getReader()
  const parser = createSseParser()
  let finished = false
  const handle = (events: { event: string; data: string }[]) => {
    for (const e of events) {
      const event = toChatEvent(e.event, e.data)
      if (!event) continue
      if (event.type === 'done' || event.type === 'error') finished = true
      onEvent(event)
    }
  }
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      handle(parser.push(value))
    }
    handle(parser.end())
  } catch (e) {
    if (signal.aborted) throw e
    throw networkError(new Error('The connection dropped before the answer was finished.'))
  } finally {
    reader.releaseLock()
  }
  if (!finished) throw networkError(new Error('The answer stopped before it was finished.'))
}
