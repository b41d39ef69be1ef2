import type { components } from './schema'

export type Problem = components['schemas']['Problem']

/** Plain-English messages for the server's problem codes; `detail` is the fallback. */
const MESSAGES: Record<string, string> = {
  invalid_body: 'Some of the details are missing or in the wrong format.',
  invalid_path: 'That link is malformed. Check it and try again.',
  invalid_query: 'That address has a malformed option. Check it and try again.',
  unsupported_media_type: "Your browser sent the form in a format StackPro doesn't accept. Reload the page and try again.",
  payload_too_large: "That's more than StackPro accepts in one go. Shorten it and try again.",
  route_not_found: "StackPro doesn't know this action. Reload the page: the app may have been updated.",
  method_not_allowed: "StackPro doesn't accept this action here. Reload the page: the app may have been updated.",
  invalid_credentials: "That email and password don't match. Check them and try again.",
  refresh_token_invalid: 'Your session has ended. Please sign in again.',
  tenant_required: 'This email belongs to several workspaces. Enter the one to sign in to.',
  tenant_not_found: 'There is no workspace with that name. Check the spelling.',
  email_taken: 'Someone with this email is already in this workspace.',
  current_password_wrong: "That isn't your current password. Check it and try again.",
  weak_password: 'Use a password of 10 to 1,024 characters.',
  invalid_email: 'Enter a valid email address, like name@example.com.',
  invalid_tenant_name: 'Give your business a name of up to 100 characters.',
  invalid_name: 'Use a name of 1 to 100 characters.',
  invalid_role: 'That role cannot be given here.',
  invalid_scope: 'Choose at least one scope.',
  unauthorized: 'Please sign in to continue.',
  token_expired: 'Your session has expired. Please sign in again.',
  forbidden: "You don't have permission to do that. Ask a workspace owner or admin.",
  member_not_found: 'That team member no longer exists. Reload to see the current team.',
  api_key_not_found: 'That API key no longer exists. Reload to see the current keys.',
  audit_entry_not_found: "That audit entry doesn't exist in this workspace.",
  invite_invalid: 'This invitation link is invalid, already used or expired. Ask for a new invite.',
  reset_token_invalid: 'This password reset link is invalid, already used or expired. Request a new one.',
  last_owner: 'A workspace needs at least one owner. Make someone else an owner first.',
  invoice_not_found: "That invoice doesn't exist in this workspace.",
  plan_not_found: "That plan isn't offered any more. Reload to see the current plans.",
  template_not_found: "That template isn't offered any more. Reload to see the current templates.",
  site_not_found: "That site doesn't exist in this workspace. It may have been deleted.",
  page_not_found: "That page doesn't exist any more. It may have been deleted.",
  asset_not_found: 'That image no longer exists. Reload to see the current images.',
  version_not_found: "That version doesn't exist any more. Reload the list of versions.",
  version_conflict: 'Someone saved this page since you opened it, so your changes were not saved.',
  precondition_required: 'StackPro needs to know which version you edited. Reload the page and try again.',
  preview_expired: 'The preview link has expired. Open the preview again.',
  home_page_fixed: 'The home page always stays at / and cannot be deleted.',
  unavailable: 'StackPro is temporarily unavailable. Please try again in a moment.',
  internal: 'Something went wrong on our side. Please try again in a moment.',
  network: "We can't reach StackPro right now. Check your connection and try again.",
}

export class ApiError extends Error {
  readonly problem: Problem
  /** Seconds from the Retry-After header, when the server sent one. */
  readonly retryAfter: number | null
  /** RFC 9457 extension members beyond the standard ones (`over_limits`, `allowed_by`, ...). */
  readonly extensions: Readonly<Record<string, unknown>>

  constructor(problem: Problem, retryAfter: number | null = null, extensions: Record<string, unknown> = {}) {
    super(problem.detail || problem.title)
    this.name = 'ApiError'
    this.problem = problem
    this.retryAfter = retryAfter
    this.extensions = extensions
  }

  get code(): string {
    return this.problem.code
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** A code for answers without a problem body (a proxy's error page, an empty 5xx). */
function fallbackCode(status: number): string {
  if (status === 429) return 'rate_limited'
  if (status === 502 || status === 503 || status === 504) return 'unavailable'
  if (status >= 500) return 'internal'
  return `http_${status}`
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
    code: str(get('code')) ?? fallbackCode(status),
    detail: str(get('detail')) ?? '',
    field: str(get('field')) ?? null,
    request_id: str(get('request_id')) ?? response?.headers.get('x-request-id') ?? '',
  }
}

const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'code', 'detail', 'field', 'request_id', 'instance'])

/** The members a problem adds to the standard ones; empty for a body that isn't an object. */
function extensionsOf(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {}
  return Object.fromEntries(Object.entries(body).filter(([k]) => !STANDARD_MEMBERS.has(k)))
}

export function toApiError(body: unknown, response: Response): ApiError {
  const header = response.headers.get('Retry-After')
  const seconds = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null
  return new ApiError(parseProblem(body, response), seconds, extensionsOf(body))
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
      ? `Too many attempts. Try again ${waitPhrase(error.retryAfter)}.`
      : 'Too many attempts. Wait a little and try again.'
  }
  if (DETAIL_FIRST.has(error.code) && error.problem.detail) return error.problem.detail
  return MESSAGES[error.code] ?? (error.problem.detail || error.problem.title)
}

/** Codes whose server detail says precisely which rule applied ("Only an owner can remove an owner."). */
const DETAIL_FIRST = new Set([
  'forbidden',
  'invalid_role',
  'plan_limit_reached',
  'downgrade_refused',
  'plan_unchanged',
  'slug_taken',
  'path_taken',
  'site_full',
  'asset_refused',
])

/** "in 30 seconds", "in about 15 minutes", "in about 2 hours". */
function waitPhrase(seconds: number): string {
  if (seconds <= 1) return 'in a moment'
  if (seconds < 90) return `in ${seconds} seconds`
  const minutes = Math.round(seconds / 60)
  if (minutes < 90) return `in about ${minutes} minutes`
  return `in about ${Math.round(minutes / 60)} hours`
}

/**
 * The message for a form input, when the problem's JSON pointer names it ("/email").
 * Pass several pointers when the server may name the input differently (the new-password
 * input answers to both "/new_password" and "/password").
 */
export function fieldError(error: unknown, ...pointers: string[]): string | undefined {
  if (!(error instanceof ApiError) || error.problem.field == null) return undefined
  return pointers.includes(error.problem.field) ? problemMessage(error) : undefined
}

/** Whether the thrown value is the server's answer with this problem code. */
export function hasCode(error: unknown, code: string): error is ApiError {
  return error instanceof ApiError && error.code === code
}

export function requestIdOf(error: unknown): string | undefined {
  return error instanceof ApiError && error.problem.request_id ? error.problem.request_id : undefined
}
