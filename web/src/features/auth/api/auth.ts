import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, ensureOk, unwrap } from '@/lib/api/client'
import { queryKeys } from '@/lib/api/queryKeys'
import { sessionStore } from '@/lib/api/session'
import type { Me, Session } from '@/lib/api/types'
import type { components } from '@/lib/api/schema'

type Body<K extends keyof components['schemas']> = components['schemas'][K]

/** Stores the tokens and seeds /me so the shell renders without a second round trip. */
function useStartSession() {
  const qc = useQueryClient()
  return (session: Session) => {
    qc.clear()
    sessionStore.set(session)
    const me: Me = { user: session.user, tenant: session.tenant, role: session.role, via: 'token', read_only: false }
    qc.setQueryData(queryKeys.me, me)
  }
}

export function useSignup() {
  const start = useStartSession()
  return useMutation({
    mutationFn: (body: Body<'SignupRequest'>) => unwrap(api.POST('/api/v1/auth/signup', { body })),
    onSuccess: start,
  })
}

export function useLogin() {
  const start = useStartSession()
  return useMutation({
    mutationFn: (body: Body<'LoginRequest'>) => unwrap(api.POST('/api/v1/auth/login', { body })),
    onSuccess: start,
  })
}

export function useAcceptInvitation() {
  const start = useStartSession()
  return useMutation({
    mutationFn: (body: Body<'AcceptInvitation'>) => unwrap(api.POST('/api/v1/invitations/accept', { body })),
    onSuccess: start,
  })
}

export function useRequestPasswordReset() {
  return useMutation({
    mutationFn: (body: Body<'PasswordResetRequest'>) => ensureOk(api.POST('/api/v1/auth/password-reset', { body })),
  })
}

export function useConfirmPasswordReset() {
  return useMutation({
    mutationFn: (body: Body<'PasswordResetConfirm'>) =>
      ensureOk(api.POST('/api/v1/auth/password-reset/confirm', { body })),
  })
}

interface ChangePassword extends Body<'ChangePasswordRequest'> {
  /** Who is signed in, to sign straight back in with the new password. */
  email: string
  tenant: string
}

/**
 * Changing the password ends every session's refresh token, this one's included, so the
 * browser signs straight back in with the new password instead of dropping out later.
 */
export function useChangePassword() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: async ({ email, tenant, ...body }: ChangePassword) => {
      await ensureOk(api.POST('/api/v1/auth/password', { body }))
      try {
        return await unwrap(api.POST('/api/v1/auth/login', { body: { email, password: body.new_password, tenant } }))
      } catch {
        return null
      }
    },
    onSuccess: (session) => {
      if (session) {
        sessionStore.set(session)
        void qc.invalidateQueries({ queryKey: queryKeys.me })
      }
    },
  })
}

/** Revokes the refresh token server-side (best effort) and forgets the session locally. */
export function useLogout() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: async () => {
      const current = sessionStore.get()
      if (!current) return
      try {
        await ensureOk(api.POST('/api/v1/auth/logout', { body: { refresh_token: current.refresh_token } }))
      } catch {
        // Signing out locally must work even when the server can't be reached.
      }
    },
    onSettled: () => {
      sessionStore.clear('signed_out')
      qc.clear()
    },
  })
}
