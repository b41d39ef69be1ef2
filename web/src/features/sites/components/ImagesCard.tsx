import { useRef, useState, type DragEvent } from 'react'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { Icon } from '@/components/ui/Icon'
import { LoadError } from '@/components/ui/LoadError'
import { Skeleton } from '@/components/ui/Skeleton'
import { useToast } from '@/components/ui/toast-context'
import type { Site, SiteAsset } from '@/lib/api/types'
import { useAssets } from '../api/sites'
import { IMAGE_ACCEPT, useUploadAssets } from '../api/upload'
import { formatBytes } from '../utils/site'
import { thumbnailOf } from '../utils/assets'
import { DeleteImageDialog } from './DeleteImageDialog'
import { UploadProgress } from './UploadProgress'

export function ImagesCard({ site, canEdit }: { site: Site; canEdit: boolean }) {
  const assets = useAssets(site.id)
  const { upload, current, errors, clearErrors } = useUploadAssets(site.id)
  const toast = useToast()
  const input = useRef<HTMLInputElement>(null)
  const [dragging, setDragging] = useState(false)
  const [deleting, setDeleting] = useState<SiteAsset | null>(null)

  const send = async (files: FileList | null) => {
    if (!files || files.length === 0) return
    const done = await upload(Array.from(files))
    if (done.length > 0) {
      toast({ title: done.length === 1 ? 'Image uploaded' : `${done.length} images uploaded`, description: done.map((a) => a.name).join(', ') })
    }
    if (input.current) input.current.value = ''
  }

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault()
    setDragging(false)
    if (canEdit && !current) void send(e.dataTransfer.files)
  }

  return (
    <Card
      title="Images"
      description="Upload photos once and use them on any page. Each is stored in several sizes so phones load small ones."
      actions={
        canEdit ? (
          <Button size="sm" icon="upload" onClick={() => input.current?.click()} loading={current !== null}>
            {current ? 'Uploading…' : 'Upload images'}
          </Button>
        ) : null
      }
    >
      <div
        className={dragging ? 'image-drop is-dragging' : 'image-drop'}
        onDragOver={(e) => {
          if (!canEdit) return
          e.preventDefault()
          setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <input
          ref={input}
          type="file"
          accept={IMAGE_ACCEPT}
          multiple
          className="visually-hidden"
          tabIndex={-1}
          aria-label="Choose images to upload"
          onChange={(e) => void send(e.target.files)}
        />
        {current ? <UploadProgress state={current} /> : null}
        {errors.length > 0 ? (
          <div className="stack-sm">
            {errors.map((e, i) => (
              <FormError key={i} error={e} />
            ))}
            <div>
              <Button size="sm" variant="ghost" onClick={clearErrors}>
                Dismiss
              </Button>
            </div>
          </div>
        ) : null}
        {assets.error ? (
          <LoadError error={assets.error} onRetry={() => void assets.refetch()} retrying={assets.isFetching} />
        ) : !assets.data ? (
          <div className="image-grid" role="status" aria-label="Loading images">
            {[0, 1, 2].map((i) => (
              <Skeleton key={i} height="120px" />
            ))}
          </div>
        ) : assets.data.length === 0 ? (
          <EmptyState
            icon="image"
            title="No images yet"
            description={canEdit ? 'Upload JPEG, PNG, WebP or GIF images up to 10 MB, or drop them here.' : 'Nobody has uploaded images to this site yet.'}
          />
        ) : (
          <ul className="image-grid" aria-label="Images">
            {assets.data.map((asset) => (
              <li key={asset.id} className="image-item">
                <img src={thumbnailOf(asset)} alt="" width={asset.width} height={asset.height} loading="lazy" />
                <div className="image-meta">
                  <p className="image-name" title={asset.name}>
                    {asset.name}
                  </p>
                  <p className="muted image-size">
                    {asset.width}×{asset.height} · {formatBytes(asset.bytes)}
                  </p>
                </div>
                {canEdit ? (
                  <button type="button" className="icon-btn image-delete" onClick={() => setDeleting(asset)} aria-label={`Delete ${asset.name}`}>
                    <Icon name="trash" size={16} />
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </div>
      <DeleteImageDialog site={site} asset={deleting} onClose={() => setDeleting(null)} />
    </Card>
  )
}
