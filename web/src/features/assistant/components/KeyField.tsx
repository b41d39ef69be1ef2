import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Field } from '@/components/ui/Field'
import { Input } from '@/components/ui/Input'

/** What saving does to a stored secret: leave it, put a new one in its place, or remove it. */
export type KeyMode = 'keep' | 'replace' | 'remove'

interface KeyFieldProps {
  label: string
  hint: string
  /** Whether the server holds one (it never shows it). */
  stored: boolean
  mode: KeyMode
  value: string
  onMode: (mode: KeyMode) => void
  onValue: (value: string) => void
  error?: string
  /** Offers removal; Bedrock's secret goes with its access key instead. */
  removable?: boolean
  /** Whether the model works without it (some OpenAI-compatible services). */
  optional?: boolean
  /** What it is called in "A key is stored": Bedrock's secret access key is "secret". */
  noun?: 'key' | 'secret'
}

/** A write-only secret: typed once, never shown again; once stored it can be replaced or removed. */
export function KeyField({ label, hint, stored, mode, value, onMode, onValue, error, removable = true, optional = false, noun = 'key' }: KeyFieldProps) {
  if (stored && mode !== 'replace') {
    return (
      <div className="field">
        <p className="field-label">{label}</p>
        <div className="key-stored">
          {mode === 'remove' ? (
            <>
              <Badge tone="danger">Removed when you save</Badge>
              <Button size="sm" variant="ghost" onClick={() => onMode('keep')}>
                Undo
              </Button>
            </>
          ) : (
            <>
              <Badge tone="success">A {noun} is stored</Badge>
              <Button size="sm" onClick={() => onMode('replace')} aria-label={`Replace the stored ${label.toLowerCase()}`}>
                Replace
              </Button>
              {removable ? (
                <Button size="sm" variant="ghost" className="is-danger" onClick={() => onMode('remove')} aria-label={`Remove the stored ${label.toLowerCase()}`}>
                  Remove
                </Button>
              ) : null}
            </>
          )}
        </div>
        <p className="field-hint">It is stored sealed and never shown again, not even to owners.</p>
        {error ? <p className="field-error">{error}</p> : null}
      </div>
    )
  }
  return (
    <Field
      label={label}
      optional={optional && !stored}
      hint={
        stored ? (
          <>
            The new {noun} replaces the stored one when you save.{' '}
            <button type="button" className="link-btn" onClick={() => onMode('keep')}>
              Keep the stored {noun}
            </button>
          </>
        ) : (
          hint
        )
      }
      error={error}
    >
      {(control) => (
        <Input
          type="password"
          autoComplete="off"
          spellCheck={false}
          className="input-mono"
          maxLength={500}
          value={value}
          onChange={(e) => onValue(e.target.value)}
          {...control}
        />
      )}
    </Field>
  )
}
