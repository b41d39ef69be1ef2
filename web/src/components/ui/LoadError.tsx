import { Button } from './Button'
import { FormError } from './FormError'

interface LoadErrorProps {
  error: unknown
  /** Asks again (a query's `refetch`). */
  onRetry: () => void
  retrying: boolean
}

/** Why something could not be loaded, and a button to ask again. */
export function LoadError({ error, onRetry, retrying }: LoadErrorProps) {
  return (
    <div className="stack">
      <FormError error={error} />
      <div>
        <Button onClick={onRetry} loading={retrying}>
          Try again
        </Button>
      </div>
    </div>
  )
}
