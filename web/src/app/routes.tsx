import { createBrowserRouter, Navigate } from 'react-router'
import { Spinner } from '@/components/ui/Spinner'
import { AcceptInvitePage } from '@/features/auth/components/AcceptInvitePage'
import { AccountPage } from '@/features/auth/components/AccountPage'
import { ForgotPasswordPage } from '@/features/auth/components/ForgotPasswordPage'
import { LoginPage } from '@/features/auth/components/LoginPage'
import { ResetPasswordPage } from '@/features/auth/components/ResetPasswordPage'
import { SignupPage } from '@/features/auth/components/SignupPage'
import { ApiKeysPage } from '@/features/api-keys/components/ApiKeysPage'
import { AuditLogPage } from '@/features/audit/components/AuditLogPage'
import { BillingPage } from '@/features/billing/components/BillingPage'
import { InvoicePage } from '@/features/billing/components/InvoicePage'
import { OverviewPage } from '@/features/dashboard/components/OverviewPage'
import { TeamPage } from '@/features/members/components/TeamPage'
import { ConsolePage } from '@/features/operator/components/ConsolePage'
import { OperatorLoginPage } from '@/features/operator/components/OperatorLoginPage'
import { AppShell } from './layout/AppShell'
import { AuthLayout } from './layout/AuthLayout'
import { OperatorShell } from './layout/OperatorShell'
import { RequireOperator } from './layout/RequireOperator'
import { RequireAuth } from './layout/RequireAuth'
import { RouteError } from './layout/RouteError'
import { ComingSoonPage } from './pages/ComingSoonPage'
import { EditorRoute } from './pages/EditorRoute'
import { UPCOMING } from './pages/comingSoon'
import { NotFoundPage } from './pages/NotFoundPage'

const soon = Object.entries(UPCOMING).map(([path, area]) => ({
  path,
  element: <ComingSoonPage area={area} />,
}))

/** Everything lives under /app; the server answers any /app/* path with index.html. */
export const router = createBrowserRouter(
  [
    {
      errorElement: <RouteError />,
      // Shown while a lazily loaded page's code arrives on the first load (Sites).
      hydrateFallbackElement: (
        <div className="route-loading" role="status" aria-label="Loading">
          <Spinner size="md" />
        </div>
      ),
      children: [
        {
          element: <AuthLayout />,
          children: [
            { path: 'login', element: <LoginPage /> },
            { path: 'signup', element: <SignupPage /> },
            { path: 'forgot-password', element: <ForgotPasswordPage /> },
            { path: 'reset-password', element: <ResetPasswordPage /> },
            { path: 'accept-invite', element: <AcceptInvitePage /> },
            { path: 'operator/login', element: <OperatorLoginPage /> },
          ],
        },
        {
          // The operator console stands outside the workspace app: its own session and shell.
          element: <RequireOperator />,
          children: [
            {
              element: <OperatorShell />,
              errorElement: <RouteError />,
              children: [
                { path: 'operator', element: <ConsolePage /> },
                { path: 'operator/*', element: <Navigate to="/operator" replace /> },
              ],
            },
          ],
        },
        {
          element: <RequireAuth />,
          children: [
            {
              // The editor takes the whole window, outside the app's shell.
              path: 'sites/:siteId/pages/:pageId/edit',
              errorElement: <RouteError />,
              element: <EditorRoute />,
            },
            {
              element: <AppShell />,
              errorElement: <RouteError />,
              children: [
                { index: true, element: <OverviewPage /> },
                { path: 'team', element: <TeamPage /> },
                { path: 'api-keys', element: <ApiKeysPage /> },
                { path: 'audit', element: <AuditLogPage /> },
                { path: 'billing', element: <BillingPage /> },
                { path: 'billing/invoices/:id', element: <InvoicePage /> },
                // Sites load on first visit, so the rest of the dashboard stays small.
                { path: 'sites', lazy: async () => ({ Component: (await import('@/features/sites/components/SitesPage')).SitesPage }) },
                { path: 'sites/new', lazy: async () => ({ Component: (await import('@/features/sites/components/NewSitePage')).NewSitePage }) },
                { path: 'sites/:siteId', lazy: async () => ({ Component: (await import('@/features/sites/components/SitePage')).SitePage }) },
                // The assistant loads on first visit too: its layout (tabs), then each tab's page.
                {
                  path: 'assistant',
                  lazy: async () => ({ Component: (await import('@/features/assistant/components/AssistantLayout')).AssistantLayout }),
                  children: [
                    { index: true, lazy: async () => ({ Component: (await import('@/features/assistant/components/KnowledgePage')).KnowledgePage }) },
                    { path: 'chat', lazy: async () => ({ Component: (await import('@/features/assistant/components/PlaygroundPage')).PlaygroundPage }) },
                    { path: 'settings', lazy: async () => ({ Component: (await import('@/features/assistant/components/SettingsPage')).SettingsPage }) },
                  ],
                },
                { path: 'inbox', lazy: async () => ({ Component: (await import('@/features/inbox/components/InboxPage')).InboxPage }) },
                { path: 'account', element: <AccountPage /> },
                ...soon,
                { path: '*', element: <NotFoundPage /> },
              ],
            },
          ],
        },
      ],
    },
  ],
  { basename: '/app' },
)
