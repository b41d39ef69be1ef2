import { Navigate, Outlet } from 'react-router'
import { useOperatorSession } from '@/lib/api/operatorSession'

/**
 * The console needs a console session; a workspace session does not count, so a workspace
 * member who opens /operator lands on the console's own sign-in.
 */
export function RequireOperator() {
  const session = useOperatorSession()
  if (session) return <Outlet />
  return <Navigate to="/operator/login" replace />
}
