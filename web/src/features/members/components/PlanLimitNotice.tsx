import { Link } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { RequestId } from '@/components/ui/FormError'
import type { ApiError } from '@/lib/api/problem'

/**
 * A refusal because the plan allows no more seats. The server's detail names the limit and the
 * plan that allows more ("The Trial plan allows 2 members (seats); 2 in use. The Starter plan
 * allows more."), so it is shown as it is, with the way to the plans.
 */
export function PlanLimitNotice({ error }: { error: ApiError }) {
  return (
    <Alert
      tone="warning"
      title="Your plan has no room for another teammate"
      footer={
        <>
          <Link to="/billing#plans">Compare plans</Link>
          <RequestId error={error} />
        </>
      }
    >
      {error.problem.detail || error.message} Invitations that haven't been accepted yet count too.
    </Alert>
  )
}
