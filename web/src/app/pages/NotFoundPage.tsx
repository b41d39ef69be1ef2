import { Link } from 'react-router'
import { EmptyState } from '@/components/ui/EmptyState'

export function NotFoundPage() {
  return (
    <div className="page">
      <EmptyState
        icon="alert"
        title="Page not found"
        description="The page you're looking for doesn't exist or has moved."
        action={
          <Link className="btn btn-primary btn-md" to="/">
            Go to overview
          </Link>
        }
      />
    </div>
  )
}
