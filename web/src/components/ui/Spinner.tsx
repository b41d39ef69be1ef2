interface SpinnerProps {
  label?: string
  size?: 'sm' | 'md'
}

export function Spinner({ label, size = 'sm' }: SpinnerProps) {
  return (
    <span className={`spinner spinner-${size}`} role={label ? 'status' : undefined}>
      <span className="spinner-ring" aria-hidden="true" />
      {label ? <span className="visually-hidden">{label}</span> : null}
    </span>
  )
}
