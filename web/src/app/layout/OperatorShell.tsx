import { Outlet } from 'react-router'
import { Button } from '@/components/ui/Button'
import { useOperatorLogout, useOperatorMe } from '@/features/operator/api/operator'
import { useOperatorSession } from '@/lib/api/operatorSession'
import { Brand } from './Brand'

/** The console's own frame: an operator belongs to no workspace, so there is no sidebar. */
export function OperatorShell() {
  const session = useOperatorSession()
  const me = useOperatorMe()
  const logout = useOperatorLogout()
  const email = me.data?.email ?? session?.email

  return (
    <div className="console">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="console-bar">
        <div className="console-bar-inner">
          <Brand />
          <span className="console-name">Operator console</span>
          <span className="console-spacer" />
          {email ? (
            <span className="console-email" title={email}>
              {email}
            </span>
          ) : null}
          <Button variant="ghost" size="sm" icon="logout" loading={logout.isPending} onClick={() => logout.mutate()}>
            Sign out
          </Button>
        </div>
      </header>
      <main id="main" className="content console-content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  )
}
