import { Outlet } from 'react-router'
import { Brand } from './Brand'

/** Centred card on a quiet background, for sign-in and onboarding pages. */
export function AuthLayout() {
  return (
    <div className="auth-layout">
      <header className="auth-brand">
        <Brand />
      </header>
      <main className="auth-main">
        <Outlet />
      </main>
      <footer className="auth-legal">Self-hosted StackPro · Your data stays on your server</footer>
    </div>
  )
}
