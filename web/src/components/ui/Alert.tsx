import type { ReactNode } from 'react'
import { Icon, type IconName } from './Icon'

type AlertTone = 'info' | 'success' | 'warning' | 'danger'

const ICONS: Record<AlertTone, IconName> = {
  info: 'info',
  success: 'checkCircle',
  warning: 'alert',
  danger: 'alert',
}

interface AlertProps {
  tone?: AlertTone
  title?: ReactNode
  children?: ReactNode
  footer?: ReactNode
}

export function Alert({ tone = 'info', title, children, footer }: AlertProps) {
  return (
    <div className={`alert alert-${tone}`} role={tone === 'danger' ? 'alert' : 'status'}>
      <Icon name={ICONS[tone]} size={18} className="alert-icon" />
      <div className="alert-content">
        {title ? <p className="alert-title">{title}</p> : null}
        {children ? <div className="alert-body">{children}</div> : null}
        {footer ? <div className="alert-footer">{footer}</div> : null}
      </div>
    </div>
  )
}
