import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { PageHeader } from '@/components/ui/PageHeader'
import { Skeleton } from '@/components/ui/Skeleton'
import { useMe } from '@/lib/api/me'
import { shortDate } from '@/lib/format'
import { identityLabel } from '@/lib/identity'
import { ROLE_LABEL } from '@/lib/roles'
import { useLogout } from '../api/auth'
import { ChangePasswordForm } from './ChangePasswordForm'

export function AccountPage() {
  const me = useMe()
  const logout = useLogout()
  const data = me.data

  return (
    <div className="page">
      <PageHeader title="Account" description="Your sign-in details for this workspace." />
      <Card title="Profile">
        {data ? (
          <dl className="details">
            {data.user ? (
              <>
                <div>
                  <dt>Email</dt>
                  <dd>{data.user.email}</dd>
                </div>
                <div>
                  <dt>Name</dt>
                  <dd>{data.user.name ?? <span className="muted">Not set</span>}</dd>
                </div>
              </>
            ) : (
              <div>
                <dt>Signed in as</dt>
                <dd>{identityLabel(data)}</dd>
              </div>
            )}
            <div>
              <dt>Role</dt>
              <dd>
                <Badge tone="accent">{ROLE_LABEL[data.role]}</Badge>
                {data.read_only ? <Badge>Read only</Badge> : null}
              </dd>
            </div>
            <div>
              <dt>Workspace</dt>
              <dd>
                {data.tenant.name} <span className="muted">({data.tenant.slug})</span>
              </dd>
            </div>
            <div>
              <dt>{data.user ? 'Member since' : 'Workspace created'}</dt>
              <dd>{shortDate(data.user?.created_at ?? data.tenant.created_at)}</dd>
            </div>
          </dl>
        ) : (
          <div className="stack-sm">
            <Skeleton width="40%" />
            <Skeleton width="30%" />
            <Skeleton width="25%" />
          </div>
        )}
      </Card>
      {data?.user && data.via === 'token' ? <ChangePasswordForm email={data.user.email} tenant={data.tenant.slug} /> : null}
      <Card title="Sign out" description="End your session on this device. Your workspace keeps running.">
        <Button icon="logout" loading={logout.isPending} onClick={() => logout.mutate()}>
          Sign out
        </Button>
      </Card>
    </div>
  )
}
