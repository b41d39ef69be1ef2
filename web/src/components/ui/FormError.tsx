import { problemMessage, requestIdOf, ApiError } from '@/lib/api/problem'
import { Alert } from './Alert'

interface FormErrorProps {
  error: unknown
  /** JSON pointers rendered by this form's inputs; those errors show under the input instead. */
  fields?: readonly string[]
}

export function RequestId({ error }: { error: unknown }) {
  const id = requestIdOf(error)
  if (!id) return null
  return (
    <p className="request-id">
      Request ID: <code>{id}</code>
    </p>
  )
}

/** A form's error summary: the message in an alert, or only the request id when an input shows it. */
export function FormError({ error, fields = [] }: FormErrorProps) {
  if (!error) return null
  const field = error instanceof ApiError ? error.problem.field : null
  if (field && fields.includes(field)) return <RequestId error={error} />
  return (
    <Alert tone="danger" footer={<RequestId error={error} />}>
      {problemMessage(error)}
    </Alert>
  )
}
