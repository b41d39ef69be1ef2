import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/lib/api/client'
import { networkError, toApiError } from '@/lib/api/problem'
import { queryKeys } from '@/lib/api/queryKeys'
import { downloadBlob } from '@/lib/download'

/** Owners and admins may read billing; pass whether this caller is one. */
export function useBillingOverview(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.billing,
    queryFn: () => unwrap(api.GET('/api/v1/billing')),
    enabled,
  })
}

export function usePlans(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.billingPlans,
    queryFn: () => unwrap(api.GET('/api/v1/billing/plans')),
    select: (list) => list.items,
    enabled,
    staleTime: 5 * 60_000,
  })
}

export function useForecast(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.billingForecast,
    queryFn: () => unwrap(api.GET('/api/v1/billing/forecast')),
    enabled,
  })
}

export function useUsageHistory(days: number, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.billingUsage(days),
    queryFn: () => unwrap(api.GET('/api/v1/billing/usage', { params: { query: { days } } })),
    enabled,
    placeholderData: (previous) => previous,
  })
}

export function useInvoices(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.invoices,
    queryFn: () => unwrap(api.GET('/api/v1/billing/invoices')),
    select: (list) => list.items,
    enabled,
  })
}

export function useInvoice(id: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.invoice(id),
    queryFn: () => unwrap(api.GET('/api/v1/billing/invoices/{id}', { params: { path: { id } } })),
    enabled,
  })
}

/**
 * A plan change moves limits, the draft invoice and the forecast, names the plan in /me, and
 * decides whether the assistant may use the workspace's own language model.
 */
function useInvalidateBilling() {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: queryKeys.billingAll })
    void qc.invalidateQueries({ queryKey: queryKeys.me })
    void qc.invalidateQueries({ queryKey: queryKeys.auditAll })
    void qc.invalidateQueries({ queryKey: queryKeys.assistantStatus })
  }
}

export function useChangePlan() {
  const invalidate = useInvalidateBilling()
  return useMutation({
    mutationFn: (plan: string) => unwrap(api.POST('/api/v1/billing/plan', { body: { plan } })),
    onSuccess: invalidate,
  })
}

/** Starts a Stripe Checkout session; the caller sends the browser to the answer's `url`. */
export function useCheckout() {
  return useMutation({
    mutationFn: (plan: string) => unwrap(api.POST('/api/v1/billing/checkout', { body: { plan } })),
  })
}

/**
 * Downloads the daily usage as a CSV file. A plain link would go without the bearer token,
 * so the file is fetched through the API client and handed to the browser as a blob.
 */
export function useExportUsage() {
  return useMutation({
    mutationFn: async ({ days, filename }: { days: number; filename: string }) => {
      let result
      try {
        result = await api.GET('/api/v1/billing/usage.csv', { params: { query: { days } }, parseAs: 'blob' })
      } catch (e) {
        throw networkError(e)
      }
      if (!result.response.ok || result.data === undefined) throw toApiError(result.error, result.response)
      downloadBlob(result.data, filename)
    },
  })
}
