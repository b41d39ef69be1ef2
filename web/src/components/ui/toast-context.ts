import { createContext, useContext } from 'react'

export interface ToastInput {
  title: string
  description?: string
  tone?: 'success' | 'danger' | 'info'
}

export const ToastContext = createContext<(toast: ToastInput) => void>(() => undefined)

/** Shows a short-lived confirmation at the bottom of the screen. */
export function useToast(): (toast: ToastInput) => void {
  return useContext(ToastContext)
}
