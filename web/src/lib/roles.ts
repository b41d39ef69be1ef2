import type { Me, Role, Scope } from './api/types'

export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'client']

export const ROLE_LABEL: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  client: 'Client',
}

export const ROLE_HELP: Record<Role, string> = {
  owner: 'Full control, including billing, domains and deleting the workspace.',
  admin: 'Manages the team, API keys and settings, but not billing ownership.',
  member: 'Works day to day in sites, the inbox and the assistant.',
  client: 'An outside customer who only sees what is shared with them.',
}

export function isRole(v: unknown): v is Role {
  return v === 'owner' || v === 'admin' || v === 'member' || v === 'client'
}

export function canManage(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin'
}

/** The roles this caller may give: only an owner can give (or take away) the owner role. */
export function assignableRoles(mine: Role | undefined): readonly Role[] {
  return mine === 'owner' ? ROLES : ROLES.filter((r) => r !== 'owner')
}

/** Whether this caller may change or remove a member with the given role. */
export function canActOn(mine: Role | undefined, theirs: Role): boolean {
  return canManage(mine) && (theirs !== 'owner' || mine === 'owner')
}

/** Whether this caller may manage the team and keys: an owner or admin that isn't read-only. */
export function canManageAs(me: Me | undefined): boolean {
  return me !== undefined && !me.read_only && canManage(me.role)
}

export const SCOPES: readonly Scope[] = ['read', 'write', 'admin']

export const SCOPE_HELP: Record<Scope, string> = {
  read: 'View workspace data.',
  write: 'Create and change data.',
  admin: 'Manage the team, keys and settings.',
}

export function isScope(v: unknown): v is Scope {
  return v === 'read' || v === 'write' || v === 'admin'
}
