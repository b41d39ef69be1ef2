import type { components } from './schema'

export type Problem = components['schemas']['Problem']

/** Plain-English messages for the server's problem codes; `detail` is the fallback. */
const MESSAGES: Record<string, string> = {
  invalid_body: 'Some of the details are missing or in the wrong format.',
  invalid_credentials: "That email and password don't match. Check them and try again.",
  email_taken: 'An account with this email already exists. Try signing in instead.',
  weak_password: 'Choose a stronger password: at least 10 characters.',
  invalid_email: 'Enter a valid email address, like name@example.com.',
  invalid_tenant_name: "That business name can't be used. Try a different one.",
  unauthorized: 'Please sign in to continue.',
  token_expired: 'Your session has expired. Please sign in again.',
  forbidden: "You don't have permission to do that. Ask a workspace owner or admin.",
  member_not_found: 'That team member no longer exists.',
  api_key_not_found: 'That API key no longer exists.',
  invite_invalid: 'This invitation link is invalid or has expired. Ask for a new invite.',
  last_owner: 'A workspace needs at least one owner. Make someone else an owner first.',
  internal: 'Something went wrong on our side. Please try again in a moment.',
  network: "We can't reach StackPro right now. Check your connection and try again.",
}

export class ApiError extends Error {
  readonly problem: Problem
  /** Seconds from the Retry-After header, when the server sent one. */
  readonly retryAfter: number | null

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.detail || problem.title)
    this.name = 'ApiError'
    this.problem = problem
    this.retryAfter = retryAfter
  }

  get code(): string {
    return this.problem.code
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** Reads a problem body defensively: proxies can answer with HTML or nothing at all. */
export function parseProblem(body: unknown, response?: Response): Problem {
  const status = response?.status ?? 0
  const o = typeof body === 'object' && body !== null ? body : {}
  const get = (k: string): unknown => (k in o ? Reflect.get(o, k) : undefined)
  const rawStatus = get('status')
  return {
    type: str(get('type')) ?? 'about:blank',
    title: str(get('title')) ?? (response?.statusText || 'Request failed'),
    status: typeof rawStatus === 'number' ? rawStatus : status,
    code: str(get('code')) ?? (status >= 500 ? 'internal' : `http_${status}`),
    detail: str(get('detail')) ?? '',
    field: str(get('field')) ?? null,
    request_id: str(get('request_id')) ?? response?.headers.get('x-request-id') ?? '',
  }
}

export function toApiError(body: unknown, response: Response): ApiError {
  const header = response.headers.get('Retry-After')
  const seconds = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null
  return new ApiError(parseProblem(body, response), seconds)
}

export function networkError(cause: unknown): ApiError {
  const detail = cause instanceof Error ? cause.message : 'Network request failed'
  return new ApiError({
    type: 'about:blank',
    title: 'Network error',
    status: 0,
    code: 'network',
    detail,
    field: null,
    request_id: '',
  })
}

/** The sentence to show a person for any thrown value. */
export function problemMessage(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return error instanceof Error ? error.message : 'Something went wrong.'
  }
  if (error.code === 'rate_limited') {
    return error.retryAfter !== null
      ? `Too many attempts, try again in ${error.retryAfter} seconds.`
      : 'Too many attempts, try again shortly.'
  }
  return MESSAGES[error.code] ?? (error.problem.detail || error.problem.title)
}

/** The message for a form input, when the problem's JSON pointer names it ("/email"). */
export function fieldError(error: unknown, pointer: string): string | undefined {
  if (!(error instanceof ApiError) || error.problem.field !== pointer) return undefined
  return problemMessage(error)
}

export function requestIdOf(error: unknown): string | undefined {
  return error instanceof ApiError && error.problem.request_id ? error.problem.request_id : undefined
}
