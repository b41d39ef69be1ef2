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
