import { Badge } from '@/components/ui/Badge'
import { Card } from '@/components/ui/Card'
import { Skeleton } from '@/components/ui/Skeleton'
import { useMe } from '@/lib/api/me'
import { identityLabel } from '@/lib/identity'
import { canManageAs, ROLE_LABEL } from '@/lib/roles'
import { useApiKeyList, useMemberList, useRecentActivity, useSiteList } from '../api/overview'
import { Checklist, type ChecklistItem } from './Checklist'
import { RecentActivity } from './RecentActivity'
import { StatCard } from './StatCard'

export function OverviewPage() {
  const me = useMe()
  const admin = canManageAs(me.data)
  const members = useMemberList(admin)
  const keys = useApiKeyList(admin)
  const activity = useRecentActivity(admin)
  const sites = useSiteList()

  const memberList = members.data ?? []
  const invited = memberList.filter((m) => m.status === 'invited').length
  const activeKeys = keys.data?.filter((k) => !k.revoked_at).length

  const checklist: ChecklistItem[] = [
    admin
      ? { title: 'Create your workspace', description: 'Your StackPro home is ready.', done: true, to: '/', cta: '' }
      : { title: 'Join your team', description: "You're in. Welcome aboard.", done: true, to: '/', cta: '' },
    { title: 'Invite a teammate', description: 'Bring in the people you work with.', done: memberList.length > 1, to: '/team', cta: 'Invite' },
    { title: 'Create an API key', description: 'Connect your own tools and scripts.', done: (keys.data?.length ?? 0) > 0, to: '/api-keys', cta: 'Create key' },
    {
      title: 'Build your website',
      description: 'Pick a template, make it yours and publish.',
      done: (sites.data ?? []).some((s) => s.published_at),
      to: '/sites',
      cta: sites.data && sites.data.length > 0 ? 'Publish' : 'Create site',
    },
  ]

  return (
    <div className="page">
      <Card className="welcome">
        {me.data ? (
          <>
            <p className="welcome-eyebrow">Overview</p>
            <h1 className="welcome-title">Welcome to {me.data.tenant.name}</h1>
            <p className="welcome-text">
              Signed in as {identityLabel(me.data)} <Badge tone="accent">{ROLE_LABEL[me.data.role]}</Badge>
            </p>
          </>
        ) : (
          <div className="stack-sm">
            <Skeleton width="6rem" />
            <Skeleton width="50%" height="1.8rem" />
            <Skeleton width="35%" />
          </div>
        )}
      </Card>
      {admin ? (
        <div className="stats">
          <StatCard label="Members" icon="users" to="/team" loading={members.isPending} value={members.data ? memberList.length - invited : undefined} detail={invited ? `${invited} invited` : 'All active'} />
          <StatCard label="Active API keys" icon="key" to="/api-keys" loading={keys.isPending} value={activeKeys} detail="Used by your integrations" />
        </div>
      ) : null}
      <div className="grid-2">
        <Checklist items={admin ? checklist : checklist.slice(0, 1).concat(checklist.slice(3))} />
        <RecentActivity entries={activity.data} loading={activity.isPending} allowed={admin} />
      </div>
    </div>
  )
}
