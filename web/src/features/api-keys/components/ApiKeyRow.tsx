import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import type { ApiKey } from '@/lib/api/types'
import { absoluteTime, relativeTime, shortDate } from '@/lib/format'

export function ApiKeyRow({ apiKey, onRevoke }: { apiKey: ApiKey; onRevoke: (key: ApiKey) => void }) {
  const revoked = Boolean(apiKey.revoked_at)
  return (
    <tr className={revoked ? 'row-muted' : undefined}>
      <td data-label="Name">
        <span className="strong">{apiKey.name}</span>
      </td>
      <td data-label="Key">
        <code className="code">{apiKey.prefix}…</code>
      </td>
      <td data-label="Scopes">
        <span className="badge-list">
          {apiKey.scopes.map((s) => (
            <Badge key={s} tone={s === 'admin' ? 'warning' : 'neutral'}>
              {s}
            </Badge>
          ))}
        </span>
      </td>
      <td data-label="Created">{shortDate(apiKey.created_at)}</td>
      <td data-label="Last used">
        {apiKey.last_used_at ? (
          <time dateTime={apiKey.last_used_at} title={absoluteTime(apiKey.last_used_at)}>
            {relativeTime(apiKey.last_used_at)}
          </time>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td data-label="Status">
        {revoked ? <Badge tone="danger">Revoked</Badge> : <Badge tone="success">Active</Badge>}
      </td>
      <td className="cell-actions">
        {revoked ? null : (
          <Button variant="ghost" size="sm" className="is-danger" onClick={() => onRevoke(apiKey)} aria-label={`Revoke ${apiKey.name}`}>
            Revoke
          </Button>
        )}
      </td>
    </tr>
  )
}
