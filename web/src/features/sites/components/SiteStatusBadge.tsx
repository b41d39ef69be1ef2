import { Badge } from '@/components/ui/Badge'
import type { Site } from '@/lib/api/types'

export function SiteStatusBadge({ site }: { site: Site }) {
  return site.published_at ? <Badge tone="success">Published</Badge> : <Badge>Not published</Badge>
}
