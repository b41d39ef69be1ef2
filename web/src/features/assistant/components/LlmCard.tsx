import { Link } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Badge } from '@/components/ui/Badge'
import { Button } from '@/components/ui/Button'
import { Card } from '@/components/ui/Card'
import { Field } from '@/components/ui/Field'
import { Select, TextField } from '@/components/ui/Input'
import { RequestId } from '@/components/ui/FormError'
import { ApiError } from '@/lib/api/problem'
import type { AssistantStatus, LlmProvider } from '@/lib/api/types'
import { PROVIDER_HELP, PROVIDER_LABEL, PROVIDERS, isProvider } from '../utils/labels'
import { KeyField, type KeyMode } from './KeyField'

/** The model's settings as typed; empty strings become null when saved. */
export interface LlmDraft {
  provider: LlmProvider
  base_url: string
  model: string
  region: string
}

export interface Keys {
  apiMode: KeyMode
  api: string
  secretMode: KeyMode
  secret: string
}

const MODEL_PLACEHOLDER: Record<LlmProvider, string> = {
  none: '',
  openai: 'gpt-4o-mini',
  anthropic: 'claude-3-5-haiku-latest',
  bedrock: 'anthropic.claude-3-haiku-20240307-v1:0',
}

const BASE_URL_HINT: Record<LlmProvider, string> = {
  none: '',
  openai: 'Empty for api.openai.com. For another OpenAI-compatible service, its API root, like https://example.com/v1.',
  anthropic: 'Empty for api.anthropic.com.',
  bedrock: 'Empty for bedrock-runtime.<region>.amazonaws.com.',
}

interface LlmCardProps {
  llm: LlmDraft
  /** The provider the stored key was saved with. */
  savedProvider: LlmProvider
  hasKey: boolean
  /** Whether Bedrock's secret access key is stored. */
  hasSecret: boolean
  keys: Keys
  status: AssistantStatus | undefined
  onChange: (llm: LlmDraft) => void
  onKeys: (keys: Keys) => void
  err: (pointer: string) => string | undefined
  /** The server's refusal when the plan has no own language models (the status said it had). */
  planRefused: unknown
  manager: boolean
}

/** Why the provider's fields are locked: the plan has no own language models. */
function PlanNotice({ savedProvider, status }: { savedProvider: LlmProvider; status: AssistantStatus }) {
  return (
    <Alert
      // Informational until a saved provider stops answering for it.
      tone={savedProvider === 'none' ? 'info' : 'warning'}
      title="Your plan doesn’t include connecting your own language model"
      footer={<Link to="/billing#plans">Compare plans</Link>}
    >
      {savedProvider === 'none' ? (
        <>
          Connecting the workspace’s own model (OpenAI, Anthropic or Amazon Bedrock) needs a plan with language-model
          providers. {status.llm ? `Until then, ${status.llm} answers.` : 'Until then, answers quote your documents.'}
        </>
      ) : (
        <>
          {PROVIDER_LABEL[savedProvider]} stays saved, but it does not answer on this plan; it answers again after an
          upgrade. You can still save your other settings, or choose “{PROVIDER_LABEL.none}” to stop using it.
        </>
      )}
    </Alert>
  )
}

/** The workspace's own language model: provider, address, model, and its write-only keys. */
export function LlmCard({ llm, savedProvider, hasKey, hasSecret, keys, status, onChange, onKeys, err, planRefused, manager }: LlmCardProps) {
  const set = (change: Partial<LlmDraft>) => onChange({ ...llm, ...change })
  const bedrock = llm.provider === 'bedrock'
  // On a plan without own models, what was saved may stay (or be dropped), but nothing new is connected.
  const locked = status?.own_llm_allowed === false
  // Bedrock's secret goes with its access key id: a new key id needs its own secret.
  const setApiMode = (apiMode: KeyMode) => onKeys({ ...keys, apiMode, api: '', secretMode: apiMode, secret: '' })

  return (
    <Card
      title="Language model"
      description="With a language model the assistant writes answers in its own words from the passages it finds, citing them. Without one, it answers by quoting the passages."
    >
      <div className="form">
        <p className="llm-now">
          <span className="muted">Answering now:</span>{' '}
          {status ? (
            status.llm ? (
              <Badge tone="success">{status.llm}</Badge>
            ) : (
              <span className="strong">quotes from your documents, no language model</span>
            )
          ) : (
            <span className="muted">…</span>
          )}
        </p>
        {locked && status ? <PlanNotice savedProvider={savedProvider} status={status} /> : null}
        <Field label="Provider" hint={PROVIDER_HELP[llm.provider]} error={err('/llm/provider')}>
          {(control) => (
            <Select
              value={llm.provider}
              onChange={(e) => {
                if (isProvider(e.target.value)) set({ provider: e.target.value })
              }}
              disabled={locked && savedProvider === 'none' && llm.provider === 'none'}
              {...control}
            >
              {PROVIDERS.map((p) => (
                <option key={p} value={p} disabled={locked && p !== 'none' && p !== savedProvider}>
                  {PROVIDER_LABEL[p]}
                </option>
              ))}
            </Select>
          )}
        </Field>
        {llm.provider !== 'none' ? (
          <fieldset className="llm-fields" disabled={locked}>
            <div className="form-grid">
              <TextField
                label="Model"
                value={llm.model}
                onChange={(e) => set({ model: e.target.value })}
                maxLength={200}
                placeholder={MODEL_PLACEHOLDER[llm.provider]}
                spellCheck={false}
                autoComplete="off"
                className="input-mono"
                error={err('/llm/model')}
              />
              {bedrock ? (
                <TextField
                  label="AWS region"
                  value={llm.region}
                  onChange={(e) => set({ region: e.target.value.trim().toLowerCase() })}
                  maxLength={50}
                  placeholder="eu-central-1"
                  spellCheck={false}
                  autoComplete="off"
                  className="input-mono"
                  error={err('/llm/region')}
                />
              ) : null}
            </div>
            <TextField
              label={bedrock ? 'Endpoint' : 'Base URL'}
              optional
              type="url"
              value={llm.base_url}
              onChange={(e) => set({ base_url: e.target.value })}
              maxLength={500}
              placeholder={llm.provider === 'openai' ? 'https://api.openai.com/v1' : ''}
              spellCheck={false}
              autoComplete="off"
              className="input-mono"
              hint={BASE_URL_HINT[llm.provider]}
              error={err('/llm/base_url')}
            />
            {hasKey && keys.apiMode === 'keep' && savedProvider !== 'none' && savedProvider !== llm.provider ? (
              <p className="field-hint">
                The stored key was saved for {PROVIDER_LABEL[savedProvider]}: replace it with one for {PROVIDER_LABEL[llm.provider]}.
              </p>
            ) : null}
            <div className="form-grid">
              <KeyField
                label={bedrock ? 'Access key ID' : 'API key'}
                hint={
                  bedrock
                    ? 'An AWS access key allowed to call Bedrock.'
                    : llm.provider === 'openai'
                      ? 'Stored sealed and never shown again. Leave it empty only for a service that needs none.'
                      : 'Stored sealed and never shown again.'
                }
                stored={hasKey}
                optional={llm.provider === 'openai'}
                mode={keys.apiMode}
                value={keys.api}
                onMode={setApiMode}
                onValue={(api) => onKeys({ ...keys, api, apiMode: 'replace' })}
                error={err('/llm/api_key')}
              />
              {bedrock && keys.apiMode !== 'remove' ? (
                <KeyField
                  label="Secret access key"
                  noun="secret"
                  hint={hasKey && keys.apiMode === 'replace' ? 'Give the secret that goes with the new key ID.' : 'The secret that goes with the access key ID.'}
                  // A new key id comes with its own secret: the stored one is not offered with it.
                  stored={hasSecret && keys.apiMode !== 'replace'}
                  mode={keys.secretMode}
                  value={keys.secret}
                  onMode={(secretMode) => onKeys({ ...keys, secretMode, secret: '' })}
                  onValue={(secret) => onKeys({ ...keys, secret, secretMode: 'replace' })}
                  error={err('/llm/secret_key')}
                  removable={false}
                />
              ) : null}
            </div>
          </fieldset>
        ) : hasKey || hasSecret ? (
          <div className="key-stored">
            <span className="muted">A key from a provider chosen before is still stored.</span>
            {keys.apiMode === 'remove' ? (
              <>
                <Badge tone="danger">Removed when you save</Badge>
                <Button size="sm" variant="ghost" onClick={() => setApiMode('keep')}>
                  Undo
                </Button>
              </>
            ) : (
              <Button size="sm" variant="ghost" className="is-danger" onClick={() => setApiMode('remove')} disabled={!manager}>
                Remove it
              </Button>
            )}
          </div>
        ) : null}
        {planRefused instanceof ApiError ? (
          <Alert
            tone="warning"
            title="Your plan doesn’t include your own language model"
            footer={
              <>
                <Link to="/billing#plans">Compare plans</Link>
                <RequestId error={planRefused} />
              </>
            }
          >
            {planRefused.problem.detail || planRefused.message} Choose “{PROVIDER_LABEL.none}” to save your other settings.
          </Alert>
        ) : null}
      </div>
    </Card>
  )
}
