import type { IconName } from '@/components/ui/Icon'
import type { Role } from '@/lib/api/types'

export interface NavItem {
  to: string
  label: string
  icon: IconName
  soon?: boolean
  /** Shown only to these roles; everyone sees items without it. */
  roles?: readonly Role[]
}

export const PRODUCT_NAV: NavItem[] = [
  { to: '/', label: 'Overview', icon: 'home' },
  { to: '/sites', label: 'Sites', icon: 'globe' },
  { to: '/assistant', label: 'Assistant', icon: 'sparkles' },
  { to: '/inbox', label: 'Inbox', icon: 'inbox' },
  { to: '/billing', label: 'Billing', icon: 'card', roles: ['owner', 'admin'] },
  { to: '/domains', label: 'Domains', icon: 'domain', soon: true },
]

export const SETTINGS_NAV: NavItem[] = [
  { to: '/team', label: 'Team', icon: 'users' },
  { to: '/api-keys', label: 'API keys', icon: 'key' },
  { to: '/audit', label: 'Audit log', icon: 'list' },
  { to: '/account', label: 'Account', icon: 'user' },
]
