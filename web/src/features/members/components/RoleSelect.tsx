import { Field } from '@/components/ui/Field'
import { Select } from '@/components/ui/Input'
import type { Role } from '@/lib/api/types'
import { isRole, ROLE_HELP, ROLE_LABEL, ROLES } from '@/lib/roles'

interface RoleSelectProps {
  value: Role
  onChange: (role: Role) => void
  label?: string
  error?: string
  /** The roles on offer; all of them by default. */
  roles?: readonly Role[]
}

/** Role picker with a one-line explanation of the chosen role. */
export function RoleSelect({ value, onChange, label = 'Role', error, roles = ROLES }: RoleSelectProps) {
  return (
    <Field label={label} hint={ROLE_HELP[value]} error={error}>
      {(control) => (
        <Select
          name="role"
          value={value}
          onChange={(e) => {
            if (isRole(e.target.value)) onChange(e.target.value)
          }}
          {...control}
        >
          {roles.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABEL[r]}
            </option>
          ))}
        </Select>
      )}
    </Field>
  )
}
