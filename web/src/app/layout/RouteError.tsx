import { isRouteErrorResponse, useRouteError } from 'react-router'
import { EmptyState } from '@/components/ui/EmptyState'

export function RouteError() {
  const error = useRouteError()
  const detail = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : 'Unknown error'
  return (
    <div className="page">
      <EmptyState
        icon="alert"
        title="Something went wrong"
        description={`This page hit an unexpected problem (${detail}). Reload to try again.`}
        action={
          <button type="button" className="btn btn-primary btn-md" onClick={() => window.location.reload()}>
            Reload
          </button>
        }
      />
    </div>
  )
}
