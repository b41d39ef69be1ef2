import { NavLink } from 'react-router'
import { Icon } from '@/components/ui/Icon'
import type { Role } from '@/lib/api/types'
import { PRODUCT_NAV, SETTINGS_NAV, type NavItem } from '../nav'
import { Brand } from './Brand'

function NavList({ items, role, onNavigate }: { items: NavItem[]; role: Role | undefined; onNavigate: () => void }) {
  const visible = items.filter((item) => !item.roles || (role !== undefined && item.roles.includes(role)))
  return (
    <ul className="nav-list">
      {visible.map((item) => (
        <li key={item.to}>
          <NavLink
            to={item.to}
            end={item.to === '/'}
            onClick={onNavigate}
            className={({ isActive }) => (isActive ? 'nav-link is-active' : 'nav-link')}
          >
            <Icon name={item.icon} size={18} />
            <span className="nav-label">{item.label}</span>
            {item.soon ? <span className="nav-soon">Soon</span> : null}
          </NavLink>
        </li>
      ))}
    </ul>
  )
}

interface SidebarProps {
  open: boolean
  onClose: () => void
  workspace: string | undefined
  /** The caller's role, once known: some items are for owners and admins only. */
  role: Role | undefined
}

export function Sidebar({ open, onClose, workspace, role }: SidebarProps) {
  return (
    <aside id="sidebar" className={open ? 'sidebar is-open' : 'sidebar'}>
      <div className="sidebar-head">
        <Brand />
        <button type="button" className="icon-btn sidebar-close" onClick={onClose} aria-label="Close menu">
          <Icon name="close" size={20} />
        </button>
      </div>
      <nav className="sidebar-nav" aria-label="Main">
        <p className="nav-heading">{workspace ?? 'Workspace'}</p>
        <NavList items={PRODUCT_NAV} role={role} onNavigate={onClose} />
        <p className="nav-heading">Settings</p>
        <NavList items={SETTINGS_NAV} role={role} onNavigate={onClose} />
      </nav>
      <p className="sidebar-foot">Self-hosted · v0.1</p>
    </aside>
  )
}
