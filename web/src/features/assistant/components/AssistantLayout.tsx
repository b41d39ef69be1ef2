import { NavLink, Outlet } from 'react-router'
import { Icon, type IconName } from '@/components/ui/Icon'
import { PageHeader } from '@/components/ui/PageHeader'
import { useMe } from '@/lib/api/me'

interface Tab {
  to: string
  label: string
  icon: IconName
  end?: boolean
}

const TABS: Tab[] = [
  { to: '/assistant', label: 'Knowledge base', icon: 'file', end: true },
  { to: '/assistant/chat', label: 'Playground', icon: 'sparkles' },
  { to: '/assistant/settings', label: 'Settings', icon: 'sliders' },
]

/** The Assistant area: its knowledge base, a playground to try it, and its settings. */
export function AssistantLayout() {
  const me = useMe()
  const client = me.data?.role === 'client'
  // Clients see what is shared with them; the assistant's configuration is the team's business.
  const tabs = client ? TABS.filter((t) => t.to !== '/assistant/settings') : TABS

  return (
    <div className="page">
      <PageHeader
        title="Assistant"
        description={
          client
            ? 'Ask questions about the documents this workspace shares with you, and read the passages the answers come from.'
            : 'It answers questions from the documents in its knowledge base, citing them: here for your team, and in a chat bubble on your website for visitors.'
        }
      />
      <nav className="tabs" aria-label="Assistant">
        {tabs.map((t) => (
          <NavLink key={t.to} to={t.to} end={t.end} className={({ isActive }) => (isActive ? 'tab is-active' : 'tab')}>
            <Icon name={t.icon} size={16} />
            <span>{t.label}</span>
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  )
}
