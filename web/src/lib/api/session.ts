import { useSyncExternalStore } from 'react'

/** The tokens kept between page loads. Identity (user, tenant, role) comes from GET /me. */
export interface StoredSession {
  access_token: string
  refresh_token: string
}

export type SessionEndReason = 'expired' | 'signed_out'

const KEY = 'stackpro.session'
type Listener = () => void

function isStoredSession(v: unknown): v is StoredSession {
  return (
    typeof v === 'object' &&
    v !== null &&
    'access_token' in v &&
    typeof v.access_token === 'string' &&
    'refresh_token' in v &&
    typeof v.refresh_token === 'string'
  )
}

function read(): StoredSession | null {
  try {
    const raw = window.localStorage.getItem(KEY)
    if (!raw) return null
    const parsed: unknown = JSON.parse(raw)
    return isStoredSession(parsed) ? parsed : null
  } catch {
    return null
  }
}

let current: StoredSession | null = read()
let lastEnd: SessionEndReason | null = null
const listeners = new Set<Listener>()

function emit() {
  for (const l of listeners) l()
}

window.addEventListener('storage', (e) => {
  if (e.key !== KEY) return
  current = read()
  emit()
})

export const sessionStore = {
  get: (): StoredSession | null => current,
  /** Why the last session ended; lets the login page explain an expiry. */
  lastEnd: (): SessionEndReason | null => lastEnd,
  set(tokens: StoredSession) {
    current = { access_token: tokens.access_token, refresh_token: tokens.refresh_token }
    lastEnd = null
    window.localStorage.setItem(KEY, JSON.stringify(current))
    emit()
  },
  clear(reason: SessionEndReason) {
    if (current === null) return
    current = null
    lastEnd = reason
    window.localStorage.removeItem(KEY)
    emit()
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
}

export function useSession(): StoredSession | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get)
}
