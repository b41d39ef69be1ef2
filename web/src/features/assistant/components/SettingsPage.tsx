import { useState, type FormEvent } from 'react'
import { Alert } from '@/components/ui/Alert'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { Field } from '@/components/ui/Field'
import { FormError } from '@/components/ui/FormError'
import { Textarea, TextField } from '@/components/ui/Input'
import { LoadError } from '@/components/ui/LoadError'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { useToast } from '@/components/ui/toast-context'
import { useMe } from '@/lib/api/me'
import { fieldError, hasCode } from '@/lib/api/problem'
import type { AssistantSettings, AssistantStatus, LlmSettings, Tone, WhenUnsure, WidgetSettings } from '@/lib/api/types'
import type { FieldErrors } from '@/lib/form'
import { canManage } from '@/lib/roles'
import { useAssistantSettings, useAssistantStatus, usePutSettings } from '../api/assistant'
import { HEX_COLOUR } from '../utils/colour'
import { PROVIDER_LABEL, TONE_HELP, TONE_LABEL, TONES, WHEN_UNSURE_HELP, WHEN_UNSURE_LABEL } from '../utils/labels'
import { LlmCard, type LlmDraft, type Keys } from './LlmCard'
import { RadioGroup } from './RadioGroup'
import { WidgetCard } from './WidgetCard'

/** The JSON pointers the inputs of this page show their errors under. */
const FIELDS = [
  '/name',
  '/persona',
  '/tone',
  '/industry',
  '/when_unsure',
  '/human_contact',
  '/widget/greeting',
  '/widget/accent',
  '/widget/position',
  '/llm/provider',
  '/llm/base_url',
  '/llm/model',
  '/llm/region',
  '/llm/api_key',
  '/llm/secret_key',
]

interface Draft {
  name: string
  persona: string
  tone: Tone
  industry: string
  when_unsure: WhenUnsure
  human_contact: string
  widget: WidgetSettings
  llm: LlmDraft
}

function draftOf(s: AssistantSettings): Draft {
  return {
    name: s.name,
    persona: s.persona,
    tone: s.tone,
    industry: s.industry,
    when_unsure: s.when_unsure,
    human_contact: s.human_contact,
    widget: { ...s.widget },
    llm: { provider: s.llm.provider, base_url: s.llm.base_url ?? '', model: s.llm.model ?? '', region: s.llm.region ?? '' },
  }
}

const NO_KEYS: Keys = { apiMode: 'keep', api: '', secretMode: 'keep', secret: '' }

const orNull = (s: string) => (s.trim() === '' ? null : s.trim())

/** What is stored of the workspace's own model's keys (never the keys themselves). */
interface Stored {
  key: boolean
  secret: boolean
}

/** The whole settings object to PUT; keys are sent only when typed (replace) or removed (""). */
function bodyOf(d: Draft, keys: Keys, stored: Stored): AssistantSettings {
  const llm: LlmSettings = {
    provider: d.llm.provider,
    base_url: orNull(d.llm.base_url),
    model: orNull(d.llm.model),
    region: d.llm.provider === 'bedrock' ? orNull(d.llm.region) : null,
  }
  if (keys.apiMode === 'remove') {
    llm.api_key = ''
    llm.secret_key = ''
  } else {
    const api = keys.api.trim()
    if (api !== '') llm.api_key = api
    if (d.llm.provider === 'bedrock') {
      if (keys.secret.trim() !== '') llm.secret_key = keys.secret.trim()
    } else if (api !== '' && stored.secret) {
      // A Bedrock secret left from before does not go with another provider's new key.
      llm.secret_key = ''
    }
  }
  return {
    name: d.name.trim(),
    persona: d.persona.trim(),
    tone: d.tone,
    industry: d.industry.trim(),
    when_unsure: d.when_unsure,
    human_contact: d.human_contact.trim(),
    widget: { ...d.widget, greeting: d.widget.greeting.trim(), accent: d.widget.accent.toLowerCase() },
    llm,
  }
}

function check(d: Draft, keys: Keys, stored: Stored): FieldErrors {
  const errors: FieldErrors = {}
  // Anthropic and Bedrock need a key (the server refuses them without one, at the same fields).
  const keyGone = !stored.key || keys.apiMode === 'remove'
  if ((d.llm.provider === 'anthropic' || d.llm.provider === 'bedrock') && keyGone && keys.api.trim() === '')
    errors['/llm/api_key'] = `Give the ${d.llm.provider === 'bedrock' ? 'access key ID' : 'API key'}, or choose “${PROVIDER_LABEL.none}” to stop using this provider.`
  // Bedrock's secret: with a new key ID, or when none is stored (a key kept from another provider).
  if (
    d.llm.provider === 'bedrock' &&
    keys.apiMode !== 'remove' &&
    keys.secret.trim() === '' &&
    (keys.api.trim() !== '' || !stored.secret)
  )
    errors['/llm/secret_key'] = 'Give the secret access key that goes with the key ID.'
  if (d.name.trim() === '') errors['/name'] = 'Give the assistant a name, like “Rosie” or “Help desk”.'
  if (!HEX_COLOUR.test(d.widget.accent)) errors['/widget/accent'] = 'Give the colour as #rrggbb, like #2563eb.'
  if (d.llm.provider !== 'none' && d.llm.model.trim() === '') errors['/llm/model'] = 'Name the model to use.'
  if (d.llm.provider === 'bedrock' && d.llm.region.trim() === '') errors['/llm/region'] = 'Bedrock needs the AWS region, like eu-central-1.'
  const url = d.llm.base_url.trim()
  if (url !== '' && !/^https?:\/\/\S+$/i.test(url)) errors['/llm/base_url'] = 'Give an http(s) address, like https://api.example.com/v1.'
  return errors
}

/** Settings: how the assistant speaks, what it does when unsure, its language model, and the website widget. */
export function SettingsPage() {
  const me = useMe()
  const settings = useAssistantSettings()
  const status = useAssistantStatus()
  const manager = canManage(me.data?.role) && !me.data?.read_only

  if (settings.error) {
    return (
      <Card>
        <LoadError error={settings.error} onRetry={() => void settings.refetch()} retrying={settings.isFetching} />
      </Card>
    )
  }
  if (!settings.data || !me.data) {
    return (
      <Card>
        <SkeletonRows rows={4} label="Loading the settings" />
      </Card>
    )
  }
  return <SettingsForm settings={settings.data} status={status.data} manager={manager} />
}

function SettingsForm({ settings, status, manager }: { settings: AssistantSettings; status: AssistantStatus | undefined; manager: boolean }) {
  const put = usePutSettings()
  const toast = useToast()
  const [saved, setSaved] = useState(settings)
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings))
  const [keys, setKeys] = useState<Keys>(NO_KEYS)
  const [errors, setErrors] = useState<FieldErrors>({})
  const dirty = JSON.stringify(draft) !== JSON.stringify(draftOf(saved)) || JSON.stringify(keys) !== JSON.stringify(NO_KEYS)
  const err = (pointer: string) => errors[pointer] ?? fieldError(put.error, pointer)
  const stored: Stored = { key: saved.llm.has_key === true, secret: saved.llm.has_secret === true }
  // A refusal for the plan shows beside the model it concerns.
  const planRefused = hasCode(put.error, 'forbidden') && draft.llm.provider !== 'none'

  const change = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }))
    setErrors((e) => ({ ...e, [`/${key}`]: undefined }))
  }

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const found = check(draft, keys, stored)
    setErrors(found)
    if (Object.values(found).some(Boolean)) {
      // Show the first input at fault, wherever it is on this long page.
      const form = e.currentTarget
      requestAnimationFrame(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus())
      return
    }
    put.mutate(bodyOf(draft, keys, stored), {
      onSuccess: (next) => {
        setSaved(next)
        setDraft(draftOf(next))
        setKeys(NO_KEYS)
        toast({ title: 'Settings saved', description: `${next.name} uses them from its next answer.` })
      },
    })
  }

  const discard = () => {
    setDraft(draftOf(saved))
    setKeys(NO_KEYS)
    setErrors({})
    put.reset()
  }

  return (
    <form className="settings-form" onSubmit={onSubmit} noValidate aria-label="Assistant settings">
      {manager ? null : (
        <Alert tone="info" title="Read only">
          Owners and admins change the assistant’s settings. You can see how it is set up.
        </Alert>
      )}
      <fieldset className="settings-fieldset" disabled={!manager}>
        <Card title="Personality" description="Who the assistant is and how it speaks. It never makes up facts, whatever the tone.">
          <div className="form">
            <div className="form-grid">
              <TextField
                label="Name"
                value={draft.name}
                onChange={(e) => change('name', e.target.value)}
                maxLength={60}
                hint="Shown in the chat’s title; it introduces itself by it."
                error={err('/name')}
              />
              <TextField
                label="Industry"
                optional
                value={draft.industry}
                onChange={(e) => change('industry', e.target.value)}
                maxLength={80}
                placeholder="Bakery, dental practice, plumbing…"
                hint="Helps it use your trade’s words."
                error={err('/industry')}
              />
            </div>
            <Field label="Persona" optional hint="A sentence or two about who it speaks for, up to 500 characters." error={err('/persona')}>
              {(control) => (
                <Textarea
                  rows={3}
                  maxLength={500}
                  value={draft.persona}
                  onChange={(e) => change('persona', e.target.value)}
                  placeholder="The helpful voice of Rosie’s Bakery, a family bakery in Leeds since 1982."
                  {...control}
                />
              )}
            </Field>
            <RadioGroup legend="Tone" options={TONES} value={draft.tone} onChange={(v) => change('tone', v)} label={TONE_LABEL} help={TONE_HELP} error={err('/tone')} />
          </div>
        </Card>
        <Card title="When it doesn’t know" description="If the documents don’t answer a question, the assistant says so rather than guess.">
          <div className="form">
            <RadioGroup
              legend="Then it should"
              options={['say_so', 'offer_human'] as const}
              value={draft.when_unsure}
              onChange={(v) => change('when_unsure', v)}
              label={WHEN_UNSURE_LABEL}
              help={WHEN_UNSURE_HELP}
              error={err('/when_unsure')}
              columns={1}
            />
            <TextField
              label="How to reach a person"
              optional
              value={draft.human_contact}
              onChange={(e) => change('human_contact', e.target.value)}
              maxLength={200}
              placeholder="hello@rosiesbakery.example or +44 113 496 0000"
              hint={
                draft.when_unsure === 'offer_human'
                  ? 'An email address, a phone number or a link. Without one it offers a person but cannot say how to reach them.'
                  : 'An email address, a phone number or a link; used when it offers a person.'
              }
              error={err('/human_contact')}
            />
          </div>
        </Card>
        <LlmCard
          llm={draft.llm}
          savedProvider={saved.llm.provider}
          hasKey={stored.key}
          hasSecret={stored.secret}
          keys={keys}
          status={status}
          onChange={(llm) => {
            setDraft((d) => ({ ...d, llm }))
            setErrors((e) => ({ ...e, '/llm/model': undefined, '/llm/region': undefined, '/llm/base_url': undefined }))
          }}
          onKeys={(next) => {
            setKeys(next)
            setErrors((e) => ({ ...e, '/llm/api_key': undefined, '/llm/secret_key': undefined }))
          }}
          err={err}
          planRefused={planRefused ? put.error : null}
          manager={manager}
        />
        <WidgetCard
          widget={draft.widget}
          name={draft.name}
          onChange={(widget) => {
            setDraft((d) => ({ ...d, widget }))
            setErrors((e) => ({ ...e, '/widget/accent': undefined }))
          }}
          err={err}
        />
      </fieldset>
      {manager ? (
        <div className={dirty ? 'save-bar is-dirty' : 'save-bar'}>
          {planRefused ? null : <FormError error={put.error} fields={FIELDS} />}
          <div className="save-bar-row">
            <p className="save-bar-state" role="status">
              {dirty ? 'Unsaved changes' : 'All changes saved'}
            </p>
            <div className="save-bar-actions">
              <Button variant="ghost" onClick={discard} disabled={!dirty || put.isPending}>
                Discard
              </Button>
              <Button type="submit" variant="primary" loading={put.isPending} disabled={!dirty}>
                Save settings
              </Button>
            </div>
          </div>
        </div>
      ) : null}
    </form>
  )
}
