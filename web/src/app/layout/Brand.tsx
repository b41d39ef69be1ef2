export function Brand() {
  return (
    <span className="brand">
      <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
        <rect width="32" height="32" rx="8" />
        <path d="M9 12.5 16 9l7 3.5-7 3.5-7-3.5Zm0 4 7 3.5 7-3.5M9 20.5l7 3.5 7-3.5" />
      </svg>
      <span className="brand-name">StackPro</span>
    </span>
  )
}
