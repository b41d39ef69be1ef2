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
  keys: Keys
  status: AssistantStatus | undefined
  onChange: (llm: LlmDraft) => void
  onKeys: (keys: Keys) => void
  err: (pointer: string) => string | undefined
  /** The server's refusal when the plan has no own language models. */
  planRefused: unknown
  manager: boolean
}

/** The workspace's own language model: provider, address, model, and its write-only key. */
export function LlmCard({ llm, savedProvider, hasKey, keys, status, onChange, onKeys, err, planRefused, manager }: LlmCardProps) {
  const set = (change: Partial<LlmDraft>) => onChange({ ...llm, ...change })
  const bedrock = llm.provider === 'bedrock'
  const setApiMode = (apiMode: KeyMode) =>
    // Bedrock's secret goes with its access key id.
    onKeys({ ...keys, apiMode, api: '', ...(apiMode === 'remove' || apiMode === 'keep' ? { secretMode: apiMode, secret: '' } : {}) })

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
        <Field label="Provider" hint={PROVIDER_HELP[llm.provider]} error={err('/llm/provider')}>
          {(control) => (
            <Select
              value={llm.provider}
              onChange={(e) => {
                if (isProvider(e.target.value)) set({ provider: e.target.value })
              }}
              {...control}
            >
              {PROVIDERS.map((p) => (
                <option key={p} value={p}>
                  {PROVIDER_LABEL[p]}
                </option>
              ))}
            </Select>
          )}
        </Field>
        {llm.provider !== 'none' ? (
          <>
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
              {bedrock && keys.apiMode !== 'remove' && !(hasKey && keys.apiMode === 'keep') ? (
                <KeyField
                  label="Secret access key"
                  hint={hasKey && keys.apiMode === 'replace' ? 'Give the secret that goes with the new key ID.' : 'The secret that goes with the access key ID.'}
                  stored={false}
                  optional={false}
                  mode="replace"
                  value={keys.secret}
                  onMode={() => undefined}
                  onValue={(secret) => onKeys({ ...keys, secret, secretMode: 'replace' })}
                  error={err('/llm/secret_key')}
                  removable={false}
                />
              ) : null}
            </div>
          </>
        ) : hasKey ? (
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
