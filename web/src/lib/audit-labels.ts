import type { AuditEntry } from './api/types'
import { isRole, ROLE_LABEL } from './roles'

/** Readable names for audit actions; unknown actions are humanised from their dotted name. */
const LABELS: Record<string, string> = {
  'tenant.created': 'Workspace created',
  'user.signed_up': 'Signed up',
  'auth.signup': 'Signed up',
  'auth.login': 'Signed in',
  'auth.login_failed': 'Sign-in failed',
  'auth.logout': 'Signed out',
  'auth.refresh': 'Session refreshed',
  'auth.password_changed': 'Password changed',
  'auth.password_reset_requested': 'Password reset requested',
  'auth.password_reset': 'Password reset',
  'member.invited': 'Member invited',
  'member.joined': 'Invitation accepted',
  'invitation.accepted': 'Invitation accepted',
  'member.role_changed': 'Member role changed',
  'member.updated': 'Member updated',
  'member.removed': 'Member removed',
  'api_key.created': 'API key created',
  'api_key.revoked': 'API key revoked',
}

export function auditActionLabel(action: string): string {
  const known = LABELS[action]
  if (known) return known
  const words = action.replace(/[._-]+/g, ' ').trim().replace(/\bapi\b/gi, 'API')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** A coarse category used to colour the action badge. */
export function auditActionTone(action: string): 'danger' | 'success' | 'neutral' | 'accent' {
  if (/(failed|removed|revoked|deleted)/.test(action)) return 'danger'
  if (/(created|invited|accepted|joined|signed_up)/.test(action)) return 'success'
  if (action.startsWith('auth.')) return 'neutral'
  return 'accent'
}

/** An entry's details as plain values (the schema leaves their type open). */
export function auditDetails(entry: AuditEntry): [string, string][] {
  const details: Record<string, unknown> = entry.details
  return Object.entries(details).map(([k, v]) => {
    if (typeof v !== 'string') return [k, JSON.stringify(v)]
    if (ROLE_KEYS.has(k) && isRole(v)) return [k, ROLE_LABEL[v]]
    if (k === 'scopes') return [k, v.split(',').join(', ')]
    return [k, v]
  })
}

const ROLE_KEYS = new Set(['role', 'from', 'to'])

function detail(entry: AuditEntry, key: string): string | undefined {
  const details: Record<string, unknown> = entry.details
  const v = details[key]
  return typeof v === 'string' && v ? v : undefined
}

/**
 * What an entry happened to, readable: targets arrive as "kind:id" ("user:0192…"), so the
 * name comes from the entry's own details (or the actor, when people act on themselves).
 */
export function auditTargetLabel(entry: AuditEntry): string | null {
  const target = entry.target
  if (!target) return null
  const colon = target.indexOf(':')
  const kind = colon > 0 ? target.slice(0, colon) : ''
  const id = colon > 0 ? target.slice(colon + 1) : target
  const short = id.slice(0, 8)
  switch (kind) {
    case 'user':
      return detail(entry, 'email') ?? (entry.actor_id === id ? entry.actor_label : null) ?? `User ${short}`
    case 'api_key': {
      const name = detail(entry, 'name')
      return name ? `API key “${name}”` : `API key ${short}`
    }
    case 'tenant':
      return detail(entry, 'name') ?? 'This workspace'
    default:
      return target
  }
}

/** Who acted, readable. */
export function auditActorLabel(entry: AuditEntry): string {
  if (entry.actor_label) return entry.actor_label
  if (entry.actor_id) return `User ${entry.actor_id.slice(0, 8)}`
  return 'System'
}

const DETAIL_LABELS: Record<string, string> = {
  email: 'Email',
  role: 'Role',
  from: 'Previous role',
  to: 'New role',
  name: 'Name',
  slug: 'Short name',
  scopes: 'Scopes',
  reason: 'Reason',
}

export function auditDetailLabel(key: string): string {
  return DETAIL_LABELS[key] ?? key.charAt(0).toUpperCase() + key.slice(1).replace(/_/g, ' ')
}
