import { useState, type FormEvent } from 'react'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { Field } from '@/components/ui/Field'
import { Checkbox, Select, Textarea, TextField } from '@/components/ui/Input'
import type { Site, SiteAsset } from '@/lib/api/types'
import type { FieldErrors } from '@/lib/form'
import { breadcrumbUrl, DESCRIPTION_LIMIT, TITLE_LIMIT, truncate } from '../utils/serp'
import { pathProblem } from '../utils/site'
import type { PageMeta } from './pageApi'

/** A path on the site ("/_assets/…") or an https:// address, without spaces, quotes or control characters. */
function validImage(url: string): boolean {
  if (url.length > 500 || !/^(\/[^/\s"<]|https:\/\/)[^\s"<]*$/.test(url)) return false
  return ![...url].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)
}

interface SeoDialogProps {
  open: boolean
  site: Site
  meta: PageMeta
  isHome: boolean
  assets: SiteAsset[] | undefined
  onClose: () => void
  onApply: (meta: PageMeta) => void
}

/** A search result as engines show it, cut where they cut. */
export function SearchPreview({ site, meta }: { site: Site; meta: PageMeta }) {
  const title = truncate(meta.title || 'Untitled page', TITLE_LIMIT)
  const description = truncate(meta.description, DESCRIPTION_LIMIT)
  return (
    <figure className="serp" aria-label="Search result preview">
      <div className="serp-site">
        <span className="serp-favicon" aria-hidden="true">
          {site.name.slice(0, 1).toUpperCase()}
        </span>
        <span>
          <span className="serp-name">{site.name}</span>
          <span className="serp-url">{breadcrumbUrl(site.url, meta.path)}</span>
        </span>
      </div>
      <p className="serp-title">{title.text}</p>
      {description.text ? (
        <p className="serp-description">{description.text}</p>
      ) : (
        <p className="serp-description serp-empty">No description: search engines will pick some text from the page instead.</p>
      )}
      {meta.noindex ? <figcaption className="serp-note">Hidden: this page asks search engines not to list it.</figcaption> : null}
    </figure>
  )
}

function counter(length: number, limit: number): string {
  return length > limit ? `${length} characters: search results cut it after about ${limit}.` : `${length} of about ${limit} characters shown in search results.`
}

function SeoForm({ site, meta, isHome, assets, onClose, onApply }: Omit<SeoDialogProps, 'open'>) {
  const [draft, setDraft] = useState<PageMeta>(meta)
  const [errors, setErrors] = useState<FieldErrors>({})
  const set = <K extends keyof PageMeta>(key: K, value: PageMeta[K]) => setDraft((d) => ({ ...d, [key]: value }))
  const images = assets ?? []
  const [custom, setCustom] = useState(() => Boolean(meta.social_image) && !images.some((a) => a.url === meta.social_image))
  const choice = custom ? 'custom' : (draft.social_image ?? '')

  const submit = (e?: FormEvent) => {
    e?.preventDefault()
    const title = draft.title.trim()
    const image = draft.social_image?.trim() || null
    const found: FieldErrors = {
      '/title': !title ? 'Enter the page’s title.' : title.length > 120 ? 'Use at most 120 characters.' : undefined,
      '/description': draft.description.length > 300 ? 'Use at most 300 characters.' : undefined,
      '/path': isHome ? undefined : pathProblem(draft.path),
      '/social_image': image && !validImage(image) ? 'Use one of the site’s images or an https:// address.' : undefined,
    }
    setErrors(found)
    if (Object.values(found).some(Boolean)) return
    onApply({ ...draft, title, description: draft.description.trim(), social_image: image })
  }

  return (
    <form className="form seo-form" onSubmit={submit} noValidate>
      <SearchPreview site={site} meta={draft} />
      <TextField
        label="Title"
        value={draft.title}
        onChange={(e) => set('title', e.target.value)}
        maxLength={120}
        hint={counter(draft.title.trim().length, TITLE_LIMIT)}
        error={errors['/title']}
      />
      <Field label="Description" optional hint={counter(draft.description.trim().length, DESCRIPTION_LIMIT)} error={errors['/description']}>
        {(control) => <Textarea rows={3} maxLength={300} value={draft.description} onChange={(e) => set('description', e.target.value)} {...control} />}
      </Field>
      <TextField
        label="Path"
        value={draft.path}
        onChange={(e) => set('path', e.target.value.toLowerCase())}
        disabled={isHome}
        maxLength={100}
        autoCapitalize="none"
        spellCheck={false}
        hint={isHome ? 'The home page always answers at /.' : 'Where the page answers on the site, like /about.'}
        error={errors['/path']}
      />
      {images.length > 0 ? (
        <Field label="Social image" optional hint="Shown when the page is shared in chats and on social networks.">
          {(control) => (
            <Select
              value={choice}
              onChange={(e) => {
                const v = e.target.value
                setCustom(v === 'custom')
                set('social_image', v === 'custom' ? (draft.social_image ?? '') : v || null)
              }}
              {...control}
            >
              <option value="">None</option>
              {images.map((a) => (
                <option key={a.id} value={a.url}>
                  {a.name} ({a.width}×{a.height})
                </option>
              ))}
              <option value="custom">An image address…</option>
            </Select>
          )}
        </Field>
      ) : null}
      {images.length === 0 || choice === 'custom' ? (
        <TextField
          label={images.length > 0 ? 'Image address' : 'Social image'}
          optional
          value={draft.social_image ?? ''}
          onChange={(e) => set('social_image', e.target.value || null)}
          maxLength={500}
          placeholder="https://…"
          spellCheck={false}
          hint="An https:// address of an image shown when the page is shared."
          error={errors['/social_image']}
        />
      ) : errors['/social_image'] ? (
        <p className="field-error">{errors['/social_image']}</p>
      ) : null}
      <Checkbox
        label="Hide this page from search engines"
        description="Asks search engines not to list it (noindex). Visitors with the link still see it."
        checked={draft.noindex}
        onChange={(e) => set('noindex', e.target.checked)}
      />
      <div className="dialog-actions">
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" variant="primary">
          Save settings
        </Button>
      </div>
    </form>
  )
}

/** The page's title, description, path, social image and indexing, with how a search result shows them. */
export function SeoDialog({ open, onClose, ...rest }: SeoDialogProps) {
  return (
    <Dialog open={open} onClose={onClose} title="Page settings" description="How this page appears in search results and when it is shared." size="md">
      {open ? <SeoForm {...rest} onClose={onClose} /> : null}
    </Dialog>
  )
}
