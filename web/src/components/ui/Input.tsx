import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react'
import { Field } from './Field'

export function Input(props: InputHTMLAttributes<HTMLInputElement>) {
  const { className, ...rest } = props
  return <input className={className ? `input ${className}` : 'input'} {...rest} />
}

export function Select(props: SelectHTMLAttributes<HTMLSelectElement>) {
  const { className, ...rest } = props
  return <select className={className ? `input select ${className}` : 'input select'} {...rest} />
}

export function Textarea(props: TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const { className, ...rest } = props
  return <textarea className={className ? `input textarea ${className}` : 'input textarea'} {...rest} />
}

interface TextFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string
  hint?: ReactNode
  error?: string
  optional?: boolean
}

/** The common case: a labelled text input with hint and error. */
export function TextField({ label, hint, error, optional, ...input }: TextFieldProps) {
  return (
    <Field label={label} hint={hint} error={error} optional={optional}>
      {(control) => <Input {...input} {...control} required={input.required ?? !optional} />}
    </Field>
  )
}

interface CheckboxProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'type' | 'id'> {
  label: string
  description?: string
}

export function Checkbox({ label, description, ...input }: CheckboxProps) {
  const id = useId()
  return (
    <div className="checkbox">
      <input type="checkbox" id={id} aria-describedby={description ? `${id}-d` : undefined} {...input} />
      <div>
        <label className="checkbox-label" htmlFor={id}>
          {label}
        </label>
        {description ? (
          <p className="checkbox-description" id={`${id}-d`}>
            {description}
          </p>
        ) : null}
      </div>
    </div>
  )
}
