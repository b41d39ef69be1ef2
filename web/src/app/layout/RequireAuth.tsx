import { Navigate, Outlet, useLocation } from 'react-router'
import { sessionStore, useSession } from '@/lib/api/session'

/** Sends visitors without a session to sign in, remembering where they were going. */
export function RequireAuth() {
  const session = useSession()
  const location = useLocation()
  if (session) return <Outlet />
  const here = location.pathname + location.search
  const next = sessionStore.lastEnd() === 'signed_out' || here === '/' ? '' : `?next=${encodeURIComponent(here)}`
  return <Navigate to={`/login${next}`} replace />
}
