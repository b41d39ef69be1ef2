import { useSyncExternalStore } from 'react'
import type { OperatorSession } from './types'

/**
 * The operator console's session, kept apart from the workspace session: its own key, in
 * sessionStorage (a console session is for this tab, not for every tab of the browser), and
 * sent only to /api/v1/operator/* by `operatorApi`. Someone can be signed in to a workspace
 * and to the console at once without either token reaching the other's endpoints.
 */
export type OperatorSessionEndReason = 'expired' | 'signed_out'

const KEY = 'stackpro.operator-session'
type Listener = () => void

function isOperatorSession(v: unknown): v is OperatorSession {
  return (
    typeof v === 'object' &&
    v !== null &&
    'access_token' in v &&
    typeof v.access_token === 'string' &&
    'expires_at' in v &&
    typeof v.expires_at === 'string' &&
    'email' in v &&
    typeof v.email === 'string'
  )
}

function storage(): Storage | null {
  try {
    return window.sessionStorage
  } catch {
    return null
  }
}

/** The stored session, unless it is malformed or past its expiry. */
function read(): OperatorSession | null {
  try {
    const raw = storage()?.getItem(KEY)
    if (!raw) return null
    const parsed: unknown = JSON.parse(raw)
    if (!isOperatorSession(parsed) || Date.parse(parsed.expires_at) <= Date.now()) return null
    return parsed
  } catch {
    return null
  }
}

let current: OperatorSession | null = read()
let lastEnd: OperatorSessionEndReason | null = null
let expiry: ReturnType<typeof setTimeout> | undefined
const listeners = new Set<Listener>()

function emit() {
  for (const l of listeners) l()
}

/**
 * Ends the session when its token does, so an idle console goes back to its sign-in with
 * the reason rather than waiting for a request to be refused. Timers cap at about 24.8
 * days; a console token lives eight hours.
 */
function scheduleExpiry() {
  clearTimeout(expiry)
  if (!current) return
  const left = Date.parse(current.expires_at) - Date.now()
  expiry = setTimeout(() => operatorSessionStore.clear('expired'), Math.min(Math.max(left, 0), 2 ** 31 - 1))
}

export const operatorSessionStore = {
  get: (): OperatorSession | null => current,
  /** Why the last console session ended; lets the sign-in page explain an expiry. */
  lastEnd: (): OperatorSessionEndReason | null => lastEnd,
  set(session: OperatorSession) {
    current = { access_token: session.access_token, expires_at: session.expires_at, email: session.email }
    lastEnd = null
    storage()?.setItem(KEY, JSON.stringify(current))
    scheduleExpiry()
    emit()
  },
  clear(reason: OperatorSessionEndReason) {
    if (current === null) return
    current = null
    lastEnd = reason
    storage()?.removeItem(KEY)
    scheduleExpiry()
    emit()
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
}

scheduleExpiry()

export function useOperatorSession(): OperatorSession | null {
  return useSyncExternalStore(operatorSessionStore.subscribe, operatorSessionStore.get)
}
