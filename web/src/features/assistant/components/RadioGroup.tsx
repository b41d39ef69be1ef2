import { useId } from 'react'

interface RadioGroupProps<T extends string> {
  legend: string
  options: readonly T[]
  value: T
  onChange: (value: T) => void
  label: Record<T, string>
  help?: Record<T, string>
  error?: string
  /** One option a line instead of as many as fit. */
  columns?: 1
}

/** Radio buttons as bordered choices, each with a line of explanation. */
export function RadioGroup<T extends string>({ legend, options, value, onChange, label, help, error, columns }: RadioGroupProps<T>) {
  const id = useId()
  return (
    <fieldset className="fieldset" aria-describedby={error ? `${id}-error` : undefined}>
      <legend className="field-label">{legend}</legend>
      <div className={columns === 1 ? 'choice-grid choice-grid-1' : 'choice-grid'}>
        {options.map((o) => (
          <div key={o} className="checkbox choice">
            <input
              type="radio"
              id={`${id}-${o}`}
              name={`${id}-radio`}
              value={o}
              checked={value === o}
              onChange={() => onChange(o)}
              aria-describedby={help ? `${id}-${o}-d` : undefined}
            />
            <div>
              <label className="checkbox-label" htmlFor={`${id}-${o}`}>
                {label[o]}
              </label>
              {help ? (
                <p className="checkbox-description" id={`${id}-${o}-d`}>
                  {help[o]}
                </p>
              ) : null}
            </div>
          </div>
        ))}
      </div>
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  )
}
