import { Link } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { AuthCard } from './AuthCard'

export function MissingToken({ title, what }: { title: string; what: string }) {
  return (
    <AuthCard title={title} footer={<Link to="/login">Back to sign in</Link>}>
      <Alert tone="warning" title="This link is incomplete">
        Open the {what} from your email again, or copy the whole link into the address bar.
      </Alert>
    </AuthCard>
  )
}
