import { useCallback, useRef, useState, type ReactNode } from 'react'
import { Icon } from './Icon'
import { ToastContext, type ToastInput } from './toast-context'

interface ToastItem extends ToastInput {
  id: number
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([])
  const next = useRef(1)

  const dismiss = useCallback((id: number) => {
    setItems((all) => all.filter((t) => t.id !== id))
  }, [])

  const show = useCallback(
    (toast: ToastInput) => {
      const id = next.current++
      setItems((all) => [...all.slice(-2), { ...toast, id }])
      window.setTimeout(() => dismiss(id), 4500)
    },
    [dismiss],
  )

  return (
    <ToastContext.Provider value={show}>
      {children}
      <div className="toasts" role="region" aria-label="Notifications" aria-live="polite">
        {items.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone ?? 'success'}`}>
            <Icon name={t.tone === 'danger' ? 'alert' : 'checkCircle'} size={18} />
            <div className="toast-text">
              <p className="toast-title">{t.title}</p>
              {t.description ? <p className="toast-description">{t.description}</p> : null}
            </div>
            <button type="button" className="icon-btn" onClick={() => dismiss(t.id)} aria-label="Dismiss notification">
              <Icon name="close" size={16} />
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  )
}
