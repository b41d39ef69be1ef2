import { useState } from 'react'
import { Alert } from '@/components/ui/Alert'
import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { LoadError } from '@/components/ui/LoadError'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { useToast } from '@/components/ui/toast-context'
import { hasCode } from '@/lib/api/problem'
import type { PageContent, PageVersion } from '@/lib/api/types'
import { absoluteTime, relativeTime } from '@/lib/format'
import { restoreVersion, useInvalidateVersions, useVersions } from './pageApi'

interface VersionsDrawerProps {
  open: boolean
  onClose: () => void
  site: string
  page: string
  /** The version the editor holds now. */
  currentVersion: number
  etag: () => string
  unsaved: boolean
  selfId: string | undefined
  /** Puts the restored version into the editor. */
  onRestored: (page: PageContent) => Promise<void>
}

function VersionItem({
  version,
  current,
  mine,
  busy,
  onRestore,
}: {
  version: PageVersion
  current: boolean
  mine: boolean
  busy: boolean
  onRestore: () => void
}) {
  return (
    <li className={current ? 'version is-current' : 'version'}>
      <div className="version-head">
        <span className="strong">Version {version.version}</span>
        {current ? <Badge tone="accent">Current</Badge> : null}
        <time className="muted version-time" dateTime={version.created_at} title={absoluteTime(version.created_at)}>
          {relativeTime(version.created_at)}
        </time>
      </div>
      <p className="version-summary">{version.summary}</p>
      <p className="muted version-meta">
        {version.title}
        {version.created_by ? ` · ${mine ? 'by you' : 'by a teammate'}` : ''}
      </p>
      {!current ? (
        <div>
          <Button size="sm" icon="history" onClick={onRestore} loading={busy} aria-label={`Restore version ${version.version}`}>
            Restore
          </Button>
        </div>
      ) : null}
    </li>
  )
}

/** Every saved version, newest first; restoring one makes it current as a new version. */
export function VersionsDrawer({ open, onClose, site, page, currentVersion, etag, unsaved, selfId, onRestored }: VersionsDrawerProps) {
  const versions = useVersions(site, page, open)
  const invalidate = useInvalidateVersions(site, page)
  const toast = useToast()
  const [confirming, setConfirming] = useState<number | null>(null)
  const [busy, setBusy] = useState<number | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [failed, setFailed] = useState<number | null>(null)

  const restore = async (version: number, force: boolean) => {
    setBusy(version)
    setError(null)
    setFailed(null)
    try {
      const restored = await restoreVersion(site, page, version, force ? undefined : etag())
      await onRestored(restored)
      invalidate()
      toast({ title: `Version ${version} restored`, description: `It is now version ${restored.version}; nothing was lost from the history.` })
      setConfirming(null)
      onClose()
    } catch (e) {
      setError(e)
      setFailed(version)
      setConfirming(null)
    } finally {
      setBusy(null)
    }
  }

  const ask = (version: number) => {
    setError(null)
    if (unsaved) setConfirming(version)
    else void restore(version, false)
  }

  return (
    <Dialog open={open} onClose={onClose} title="Versions" description="Every save is kept. Restoring an old version saves it again as the newest one." size="drawer">
      {confirming !== null ? (
        <div className="version-confirm" role="alertdialog" aria-label="Discard unsaved changes?">
          <p>
            <span className="strong">Restore version {confirming}?</span> Your unsaved changes are discarded.
          </p>
          <div className="dialog-actions">
            <Button size="sm" variant="ghost" onClick={() => setConfirming(null)}>
              Keep editing
            </Button>
            <Button size="sm" variant="primary" onClick={() => void restore(confirming, false)} loading={busy === confirming}>
              Restore version {confirming}
            </Button>
          </div>
        </div>
      ) : null}
      {error && hasCode(error, 'version_conflict') && failed !== null ? (
        <Alert
          tone="warning"
          title="Someone saved this page since you opened it"
          footer={
            <Button size="sm" onClick={() => void restore(failed, true)} loading={busy === failed}>
              Restore version {failed} anyway
            </Button>
          }
        >
          Restoring replaces their version as well; it stays in this list.
        </Alert>
      ) : error ? (
        <FormError error={error} />
      ) : null}
      {versions.error ? (
        <LoadError error={versions.error} onRetry={() => void versions.refetch()} retrying={versions.isFetching} />
      ) : !versions.data ? (
        <SkeletonRows rows={4} label="Loading versions" />
      ) : (
        <ol className="version-list">
          {versions.data.map((v) => (
            <VersionItem
              key={v.version}
              version={v}
              current={v.version === currentVersion}
              mine={selfId !== undefined && v.created_by === selfId}
              busy={busy === v.version}
              onRestore={() => ask(v.version)}
            />
          ))}
        </ol>
      )}
    </Dialog>
  )
}
