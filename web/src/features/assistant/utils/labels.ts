import type { Tone as BadgeTone } from '@/components/ui/Badge'
import type { AssistantDocument, DocumentStatus, LlmProvider, Tone, Visibility, WhenUnsure } from '@/lib/api/types'

export const VISIBILITIES: readonly Visibility[] = ['team', 'admins', 'clients', 'public']

export const VISIBILITY_LABEL: Record<Visibility, string> = {
  team: 'Team',
  admins: 'Admins only',
  clients: 'Shared with clients',
  public: 'Public on the website',
  named: 'Named people only',
}

export const VISIBILITY_HELP: Record<Visibility, string> = {
  team: 'Everyone in the workspace except clients.',
  admins: 'Only owners and admins.',
  clients: 'The team, and the client members you pick.',
  public: 'Anyone: the chat on your published sites answers visitors from it.',
  named: 'Only the people it is shared with by name, whatever their role.',
}

export const VISIBILITY_TONE: Record<Visibility, BadgeTone> = {
  team: 'neutral',
  admins: 'warning',
  clients: 'accent',
  public: 'success',
  named: 'warning',
}

export function isVisibility(v: unknown): v is Visibility {
  return v === 'team' || v === 'admins' || v === 'clients' || v === 'public' || v === 'named'
}

export const STATUS_LABEL: Record<DocumentStatus, string> = {
  queued: 'Queued',
  parsing: 'Reading',
  embedding: 'Indexing',
  ready: 'Ready',
  failed: 'Failed',
}

export const STATUS_TONE: Record<DocumentStatus, BadgeTone> = {
  queued: 'neutral',
  parsing: 'accent',
  embedding: 'accent',
  ready: 'success',
  failed: 'danger',
}

export const KIND_LABEL: Record<AssistantDocument['kind'], string> = {
  pdf: 'PDF',
  docx: 'Word',
  txt: 'Text',
  markdown: 'Markdown',
  html: 'HTML',
}

export const TONES: readonly Tone[] = ['friendly', 'professional', 'concise']

export const TONE_LABEL: Record<Tone, string> = {
  friendly: 'Friendly',
  professional: 'Professional',
  concise: 'Concise',
}

export const TONE_HELP: Record<Tone, string> = {
  friendly: 'Warm and plain-spoken, like a helpful shop assistant.',
  professional: 'Polite and precise, like a receptionist.',
  concise: 'Short answers, no small talk.',
}

export function isTone(v: unknown): v is Tone {
  return v === 'friendly' || v === 'professional' || v === 'concise'
}

export const WHEN_UNSURE_LABEL: Record<WhenUnsure, string> = {
  say_so: 'Say it doesn’t know',
  offer_human: 'Offer to put them in touch with a person',
}

export const WHEN_UNSURE_HELP: Record<WhenUnsure, string> = {
  say_so: 'It says the documents don’t answer that, and guesses nothing.',
  offer_human: 'It says so and gives the contact below, so a person can follow up.',
}

export function isWhenUnsure(v: unknown): v is WhenUnsure {
  return v === 'say_so' || v === 'offer_human'
}

export const PROVIDERS: readonly LlmProvider[] = ['none', 'openai', 'anthropic', 'bedrock']

export const PROVIDER_LABEL: Record<LlmProvider, string> = {
  none: 'None of our own',
  openai: 'OpenAI or compatible',
  anthropic: 'Anthropic',
  bedrock: 'Amazon Bedrock',
}

export const PROVIDER_HELP: Record<LlmProvider, string> = {
  none: 'The platform’s model answers, if this server has one; otherwise answers quote your documents.',
  openai: 'OpenAI, or any service with an OpenAI-compatible chat API (give its base URL).',
  anthropic: 'Claude models, with your Anthropic API key.',
  bedrock: 'Models on your AWS account, with an access key allowed to call Bedrock.',
}

export function isProvider(v: unknown): v is LlmProvider {
  return v === 'none' || v === 'openai' || v === 'anthropic' || v === 'bedrock'
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

export function plural(n: number, one: string, many: string = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`
}
