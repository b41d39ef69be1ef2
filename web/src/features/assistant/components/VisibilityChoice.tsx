import { useId } from 'react'
import { Link } from 'react-router'
import { Checkbox } from '@/components/ui/Input'
import { LoadError } from '@/components/ui/LoadError'
import { SkeletonRows } from '@/components/ui/Skeleton'
import type { Visibility } from '@/lib/api/types'
import { useClientMembers } from '../api/documents'
import { VISIBILITIES, VISIBILITY_HELP, VISIBILITY_LABEL } from '../utils/labels'

interface VisibilityChoiceProps {
  legend: string
  value: Visibility
  onChange: (v: Visibility) => void
  /** Owners and admins may make a document admins-only, or open one further. */
  admin: boolean
  /** The document's visibility now (editing): members may narrow it, never widen it. */
  current?: Visibility
  sharedWith: readonly string[]
  onSharedWith: (ids: string[]) => void
  /** Shown under the client list (none picked, or the server's refusal). */
  clientsError?: string
  disabled?: boolean
}

/** Who may read a document: four choices, each with a line saying who that is; clients are then picked by name. */
const REACH: Record<Visibility, number> = { named: 0, admins: 0, team: 1, clients: 2, public: 3 }

export function VisibilityChoice({ legend, value, onChange, admin, current, sharedWith, onSharedWith, clientsError, disabled }: VisibilityChoiceProps) {
  const id = useId()
  // Members add for the team and its clients, and may narrow what exists.
  const ceiling = current ?? 'clients'
  return (
    <fieldset className="fieldset" disabled={disabled}>
      <legend className="field-label">{legend}</legend>
      <div className="choice-grid">
        {VISIBILITIES.map((v) => {
          const locked = !admin && (v === 'admins' || REACH[v] > REACH[ceiling])
          return (
            <div key={v} className={locked ? 'checkbox choice is-locked' : 'checkbox choice'}>
              <input
                type="radio"
                id={`${id}-${v}`}
                name={`${id}-visibility`}
                value={v}
                checked={value === v}
                disabled={locked}
                onChange={() => onChange(v)}
                aria-describedby={`${id}-${v}-d`}
              />
              <div>
                <label className="checkbox-label" htmlFor={`${id}-${v}`}>
                  {VISIBILITY_LABEL[v]}
                </label>
                <p className="checkbox-description" id={`${id}-${v}-d`}>
                  {locked
                    ? v === 'admins'
                      ? 'Only owners and admins can choose this.'
                      : 'Only owners and admins can open a document to more people.'
                    : VISIBILITY_HELP[v]}
                </p>
              </div>
            </div>
          )
        })}
      </div>
      {value === 'clients' ? <ClientPicker selected={sharedWith} onChange={onSharedWith} error={clientsError} /> : null}
    </fieldset>
  )
}

function ClientPicker({ selected, onChange, error }: { selected: readonly string[]; onChange: (ids: string[]) => void; error?: string }) {
  const clients = useClientMembers(true, true)
  const errorId = useId()
  const toggle = (member: string, on: boolean) =>
    onChange(on ? [...selected.filter((s) => s !== member), member] : selected.filter((s) => s !== member))

  return (
    <div className="client-picker">
      <fieldset className="fieldset" aria-describedby={error ? errorId : undefined}>
        <legend className="field-label">Clients who may read it</legend>
        {clients.error ? (
          <LoadError error={clients.error} onRetry={() => void clients.refetch()} retrying={clients.isFetching} />
        ) : !clients.data ? (
          <SkeletonRows rows={2} label="Loading client members" />
        ) : clients.data.length === 0 ? (
          <p className="field-hint">
            This workspace has no client members yet. <Link to="/team">Invite clients</Link> with the Client role, then
            share documents with them here.
          </p>
        ) : (
          <div className="client-list">
            {clients.data.map((m) => (
              <Checkbox
                key={m.id}
                label={m.name ?? m.email}
                description={m.name ? m.email : m.status === 'invited' ? 'Invited, not joined yet' : undefined}
                checked={selected.includes(m.id)}
                onChange={(e) => toggle(m.id, e.target.checked)}
              />
            ))}
          </div>
        )}
        {error ? (
          <p className="field-error" id={errorId}>
            {error}
          </p>
        ) : null}
      </fieldset>
    </div>
  )
}
