import type { Me } from './api/types'

/**
 * Who is signed in, for display: the person's email; for an API key whose creator has left
 * the workspace (`user` is null), the workspace it belongs to.
 */
export function identityLabel(me: Me): string {
  if (me.user) return me.user.email
  return me.via === 'api_key' ? `API key for ${me.tenant.name}` : me.tenant.name
}

/** The signed-in user's id, when the caller is a person (or an API key whose creator is still here). */
export function selfId(me: Me | undefined): string | undefined {
  return me?.user?.id
}
