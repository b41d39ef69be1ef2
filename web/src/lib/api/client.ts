import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { networkError, toApiError } from './problem'
import { sessionStore } from './session'

/** Endpoints that must never trigger a token refresh (they authenticate themselves). */
const PUBLIC_PATHS = [
  '/api/v1/auth/signup',
  '/api/v1/auth/login',
  '/api/v1/auth/refresh',
  '/api/v1/auth/password-reset',
  '/api/v1/invitations/accept',
]

/** A client without middleware, used for the refresh call itself. */
const bare = createClient<paths>({ baseUrl: '' })

let refreshing: Promise<boolean> | null = null

/** Exchanges the refresh token once, however many requests failed at the same moment. */
function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const current = sessionStore.get()
    if (!current) return false
    try {
      const { data } = await bare.POST('/api/v1/auth/refresh', {
        body: { refresh_token: current.refresh_token },
      })
      if (!data) return false
      sessionStore.set(data)
      return true
    } catch {
      return false
    }
  })().finally(() => {
    refreshing = null
  })
  return refreshing
}

async function problemCode(response: Response): Promise<string | null> {
  try {
    const body: unknown = await response.clone().json()
    if (typeof body === 'object' && body !== null && 'code' in body && typeof body.code === 'string') {
      return body.code
    }
  } catch {
    // not JSON
  }
  return null
}

const bearer = (token: string) => `Bearer ${token}`
const pending = new WeakMap<Request, Request>()

const auth: Middleware = {
  onRequest({ request }) {
    const session = sessionStore.get()
    if (session && !request.headers.has('Authorization')) {
      request.headers.set('Authorization', bearer(session.access_token))
    }
    // Keep an unread copy so the request can be replayed after a refresh.
    pending.set(request, request.clone())
    return request
  },
  async onResponse({ request, response, schemaPath }) {
    const replay = pending.get(request)
    pending.delete(request)
    if (response.status !== 401 || PUBLIC_PATHS.some((p) => schemaPath.startsWith(p))) return undefined
    const code = await problemCode(response)
    if (code !== 'token_expired' && code !== 'unauthorized') return undefined
    if (!sessionStore.get()) return undefined

    // Another request may already have refreshed the token while this one was in flight.
    const sentWith = request.headers.get('Authorization')
    const fresh = sessionStore.get()
    const alreadyFresh = fresh !== null && sentWith !== bearer(fresh.access_token)
    if (!alreadyFresh && !(await refreshSession())) {
      sessionStore.clear('expired')
      return undefined
    }
    const now = sessionStore.get()
    if (!replay || !now) return undefined
    replay.headers.set('Authorization', bearer(now.access_token))
    const retried = await fetch(replay)
    if (retried.status === 401) sessionStore.clear('expired')
    return retried
  },
}

export const api = createClient<paths>({ baseUrl: '' })
api.use(auth)

type Result<D> = { data?: D; error?: unknown; response: Response }

/** Awaits an openapi-fetch call and returns its body, or throws an ApiError. */
export async function unwrap<D>(call: Promise<Result<D>>): Promise<D> {
  let result: Result<D>
  try {
    result = await call
  } catch (e) {
    throw networkError(e)
  }
  if (!result.response.ok || result.data === undefined) {
    throw toApiError(result.error, result.response)
  }
  return result.data
}

/** Like unwrap, for operations that answer 202/204 with no body. */
export async function ensureOk(call: Promise<{ error?: unknown; response: Response }>): Promise<void> {
  let result: { error?: unknown; response: Response }
  try {
    result = await call
  } catch (e) {
    throw networkError(e)
  }
  if (!result.response.ok) throw toApiError(result.error, result.response)
}
