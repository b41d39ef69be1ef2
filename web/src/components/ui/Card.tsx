import type { ReactNode } from 'react'

interface CardProps {
  title?: ReactNode
  description?: ReactNode
  actions?: ReactNode
  children?: ReactNode
  className?: string
  /** Removes the body padding, for tables that run edge to edge. */
  flush?: boolean
}

export function Card({ title, description, actions, children, className, flush }: CardProps) {
  const hasHeader = title || description || actions
  return (
    <section className={['card', className ?? ''].filter(Boolean).join(' ')}>
      {hasHeader ? (
        <header className="card-header">
          <div>
            {title ? <h2 className="card-title">{title}</h2> : null}
            {description ? <p className="card-description">{description}</p> : null}
          </div>
          {actions ? <div className="card-actions">{actions}</div> : null}
        </header>
      ) : null}
      {children ? <div className={flush ? 'card-body card-body-flush' : 'card-body'}>{children}</div> : null}
    </section>
  )
}
