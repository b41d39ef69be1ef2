import { useState } from 'react'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { PageHeader } from '@/components/ui/PageHeader'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { Table } from '@/components/ui/Table'
import { useMe } from '@/lib/api/me'
import type { ApiKey } from '@/lib/api/types'
import { canManageAs } from '@/lib/roles'
import { useApiKeys } from '../api/apiKeys'
import { ApiKeyRow } from './ApiKeyRow'
import { CreateKeyDialog } from './CreateKeyDialog'
import { RevokeKeyDialog } from './RevokeKeyDialog'

export function ApiKeysPage() {
  const me = useMe()
  const allowed = canManageAs(me.data)
  const keys = useApiKeys(allowed)
  const [creating, setCreating] = useState(false)
  const [revoking, setRevoking] = useState<ApiKey | null>(null)
  const list = keys.data ?? []
  const active = list.filter((k) => !k.revoked_at).length

  const createButton = (
    <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>
      Create API key
    </Button>
  )

  const header = (
    <PageHeader
      title="API keys"
      description="Give scripts and integrations their own credentials, with only the access they need."
      actions={allowed ? createButton : undefined}
    />
  )

  if (me.data && !allowed) {
    return (
      <div className="page">
        {header}
        <Card>
          <EmptyState
            icon="shield"
            title="Owners and admins only"
            description="Ask a workspace owner or admin if you need an API key for a script or integration."
          />
        </Card>
      </div>
    )
  }

  return (
    <div className="page">
      {header}
      <Card title="Keys" description={list.length > 0 ? `${active} active of ${list.length}` : undefined} flush>
        {keys.isPending ? <SkeletonRows rows={2} label="Loading API keys" /> : null}
        {keys.error ? (
          <div className="card-pad">
            <FormError error={keys.error} />
          </div>
        ) : null}
        {keys.data && list.length === 0 ? (
          <EmptyState
            icon="key"
            title="No API keys yet"
            description="Create a key to connect StackPro to your own scripts, Zapier or a CI pipeline."
          />
        ) : null}
        {list.length > 0 ? (
          <Table
            caption="API keys"
            head={
              <>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </>
            }
          >
            {list.map((k) => (
              <ApiKeyRow key={k.id} apiKey={k} onRevoke={setRevoking} />
            ))}
          </Table>
        ) : null}
      </Card>
      <CreateKeyDialog open={creating} onClose={() => setCreating(false)} />
      <RevokeKeyDialog apiKey={revoking} onClose={() => setRevoking(null)} />
    </div>
  )
}
