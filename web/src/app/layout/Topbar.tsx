import { Link } from 'react-router'
import { Badge } from '@/components/ui/Badge'
import { Icon } from '@/components/ui/Icon'
import { Skeleton } from '@/components/ui/Skeleton'
import type { Me } from '@/lib/api/types'
import { identityLabel } from '@/lib/identity'
import { ROLE_LABEL } from '@/lib/roles'

interface TopbarProps {
  me: Me | undefined
  menuOpen: boolean
  onMenu: () => void
}

export function Topbar({ me, menuOpen, onMenu }: TopbarProps) {
  return (
    <header className="topbar">
      <button
        type="button"
        className="btn btn-ghost btn-sm menu-btn"
        onClick={onMenu}
        aria-expanded={menuOpen}
        aria-controls="sidebar"
      >
        <Icon name="menu" size={18} />
        <span>Menu</span>
      </button>
      <div className="topbar-workspace">
        {me ? (
          <>
            <span className="topbar-name">{me.tenant.name}</span>
            <span className="topbar-slug">{me.tenant.slug}</span>
          </>
        ) : (
          <Skeleton width="9rem" height="1rem" />
        )}
      </div>
      {me ? (
        <Link to="/account" className="topbar-user" aria-label={`Account: ${identityLabel(me)}, ${ROLE_LABEL[me.role]}`}>
          <span className="topbar-email">{identityLabel(me)}</span>
          <Badge tone="accent">{ROLE_LABEL[me.role]}</Badge>
        </Link>
      ) : null}
    </header>
  )
}
