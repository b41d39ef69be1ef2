import { Link, useNavigate, useSearchParams } from 'react-router'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { Icon } from '@/components/ui/Icon'
import { LoadError } from '@/components/ui/LoadError'
import { PageHeader } from '@/components/ui/PageHeader'
import { Skeleton } from '@/components/ui/Skeleton'
import { useMe } from '@/lib/api/me'
import type { SiteTemplate } from '@/lib/api/types'
import { canManage } from '@/lib/roles'
import { useSites, useTemplates } from '../api/sites'
import { baseDomainOf } from '../utils/site'
import { NewSiteForm } from './NewSiteForm'

function BackLink() {
  return (
    <Link to="/sites" className="back-link">
      <Icon name="arrowLeft" size={16} />
      Sites
    </Link>
  )
}

function TemplatePicker({ templates, onPick }: { templates: SiteTemplate[]; onPick: (key: string) => void }) {
  return (
    <ul className="template-grid" aria-label="Templates">
      {templates.map((t) => (
        <li key={t.key}>
          <button type="button" className="template-card" onClick={() => onPick(t.key)} aria-describedby={`tpl-${t.key}`}>
            <span className="template-thumb">
              <img src={t.preview_url} alt="" width={600} height={400} loading="lazy" />
            </span>
            <span className="template-text">
              <span className="template-name">{t.name}</span>
              <span className="template-industry">{t.industry}</span>
              <span className="template-description" id={`tpl-${t.key}`}>
                {t.description}
              </span>
            </span>
          </button>
        </li>
      ))}
    </ul>
  )
}

function PickerSkeleton() {
  return (
    <div className="template-grid" role="status" aria-label="Loading templates">
      {[0, 1, 2, 3].map((i) => (
        <div key={i} className="template-card stack-sm">
          <Skeleton height="140px" />
          <Skeleton width="50%" />
          <Skeleton width="80%" height="0.7rem" />
        </div>
      ))}
    </div>
  )
}

/** Two steps: a template from the gallery, then the business's details. The step lives in the URL. */
export function NewSitePage() {
  const me = useMe()
  const templates = useTemplates()
  const sites = useSites()
  const [params, setParams] = useSearchParams()
  const navigate = useNavigate()
  const chosen = templates.data?.find((t) => t.key === params.get('template'))
  const known = sites.data?.[0]
  const baseDomain = known ? baseDomainOf(known.url, known.slug) : undefined

  if (me.data && (!canManage(me.data.role) || me.data.read_only)) {
    return (
      <div className="page">
        <BackLink />
        <PageHeader title="New site" />
        <Card>
          <EmptyState icon="shield" title="Owners and admins only" description="Ask a workspace owner or admin to create a site. You can edit its pages once it exists." />
        </Card>
      </div>
    )
  }

  if (chosen) {
    return (
      <div className="page">
        <BackLink />
        <PageHeader title="New site" description="Step 2 of 2: tell the template about your business. You can change every word later in the editor." />
        <NewSiteForm
          template={chosen}
          baseDomain={baseDomain}
          onChangeTemplate={() => setParams({})}
          onCreated={(site) => navigate(`/sites/${site.id}`)}
        />
      </div>
    )
  }

  return (
    <div className="page page-wide">
      <BackLink />
      <PageHeader title="New site" description="Step 1 of 2: choose a template. Each one has a home page with your services, opening hours and a contact form." />
      {templates.error ? (
        <Card>
          <LoadError error={templates.error} onRetry={() => void templates.refetch()} retrying={templates.isFetching} />
        </Card>
      ) : templates.data ? (
        <TemplatePicker templates={templates.data} onPick={(key) => setParams({ template: key })} />
      ) : (
        <PickerSkeleton />
      )}
    </div>
  )
}
