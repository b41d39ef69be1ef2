import type { Meter } from './api/types'

/**
 * Meter names, bytes and money as people read them. Shared by the workspace's Billing page
 * and the operator console, which report the same meters and prices.
 */

/** What people call each meter; the API's `description` says what it counts. */
export const METER_LABEL: Record<Meter, string> = {
  seats: 'Team seats',
  api_requests: 'API requests',
  storage_bytes: 'Storage',
  sites: 'Sites',
  pages_published: 'Pages published',
  ai_queries: 'AI questions',
  ai_tokens: 'AI tokens',
  ingested_pages: 'Knowledge pages',
  messages: 'Chat messages',
  file_bytes: 'Shared files',
  emails: 'Emails',
  sms: 'Text messages',
  push: 'Push notifications',
  custom_domains: 'Custom domains',
}

export function isMeter(v: unknown): v is Meter {
  return typeof v === 'string' && v in METER_LABEL
}

/** Meters that hold a level (how much now) rather than a count over the period. */
const LEVELS = new Set<Meter>(['seats', 'storage_bytes', 'sites', 'file_bytes', 'custom_domains'])

export function isLevel(meter: Meter): boolean {
  return LEVELS.has(meter)
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })

const KB = 1024
const MB = KB * 1024
const GB = MB * 1024
const TB = GB * 1024

/** Bytes in the binary units plans are sized in: 2 GB is 2 × 1024³ bytes. */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes)
  const [size, unit] = abs >= TB ? [TB, 'TB'] : abs >= GB ? [GB, 'GB'] : abs >= MB ? [MB, 'MB'] : abs >= KB ? [KB, 'KB'] : [1, 'bytes']
  const value = bytes / size
  const digits = size === 1 || value >= 100 || Number.isInteger(value) ? 0 : 1
  return `${value.toLocaleString(undefined, { maximumFractionDigits: digits })} ${unit}`
}

/** A bare number in the meter's unit, for "472 of 500 questions" and chart axes. */
export function formatAmount(value: number, unit: string): string {
  return unit === 'bytes' ? formatBytes(value) : integer.format(Math.round(value))
}

const moneyFormats = new Map<string, Intl.NumberFormat>()

/** Cents in the installation's currency ("usd"), e.g. "$19.00". */
export function formatMoney(cents: number, currency: string, fractionDigits = 2): string {
  const code = currency.toUpperCase()
  const key = `${code}:${fractionDigits}`
  let format = moneyFormats.get(key)
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, {
        style: 'currency',
        currency: code,
        minimumFractionDigits: Math.min(fractionDigits, 2),
        maximumFractionDigits: fractionDigits,
      })
    } catch {
      format = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: fractionDigits })
    }
    moneyFormats.set(key, format)
  }
  return format.format(cents / 100)
}
