import { useId } from 'react'
import { Link } from 'react-router'
import { Alert } from '@/components/ui/Alert'
import { Card } from '@/components/ui/Card'
import { Field } from '@/components/ui/Field'
import { Checkbox, Input, TextField } from '@/components/ui/Input'
import type { WidgetSettings } from '@/lib/api/types'
import { useDocuments } from '../api/documents'
import { HEX_COLOUR } from '../utils/colour'
import { plural } from '../utils/labels'
import { RadioGroup } from './RadioGroup'
import { WidgetPreview } from './WidgetPreview'

interface WidgetCardProps {
  widget: WidgetSettings
  name: string
  onChange: (widget: WidgetSettings) => void
  err: (pointer: string) => string | undefined
}

const POSITION_LABEL = { right: 'Bottom right', left: 'Bottom left' } as const

/** The chat bubble on the workspace's published sites: on or off, its words, colour and side, with a preview. */
export function WidgetCard({ widget, name, onChange, err }: WidgetCardProps) {
  const set = (change: Partial<WidgetSettings>) => onChange({ ...widget, ...change })
  const colourId = useId()
  const documents = useDocuments()
  const publicDocs = documents.data?.filter((d) => d.visibility === 'public' && d.status === 'ready').length

  return (
    <Card
      title="Website chat"
      description="A chat bubble on your published sites, where visitors ask the assistant. It answers them only from documents marked Public on the website."
    >
      <div className="widget-layout">
        <div className="form">
          <Checkbox
            label="Show the chat on my published sites"
            description="Turning it on adds the chat bubble to every page of this workspace’s published sites; turning it off removes it."
            checked={widget.enabled}
            onChange={(e) => set({ enabled: e.target.checked })}
          />
          {widget.enabled && publicDocs === 0 ? (
            <Alert tone="warning" title="No public documents yet">
              Visitors can only hear that it doesn’t know. Mark documents “Public on the website” in the{' '}
              <Link to="/assistant">knowledge base</Link>.
            </Alert>
          ) : publicDocs !== undefined && publicDocs > 0 ? (
            <p className="muted widget-docs">It answers visitors from {plural(publicDocs, 'public document')}.</p>
          ) : null}
          <TextField
            label="Greeting"
            optional
            value={widget.greeting}
            onChange={(e) => set({ greeting: e.target.value })}
            maxLength={200}
            placeholder="Hi! Ask me anything about us."
            hint="Its first words when a visitor opens the chat."
            error={err('/widget/greeting')}
          />
          <Field label="Accent colour" hint="The bubble, the header and the visitor’s messages." error={err('/widget/accent')}>
            {(control) => (
              <div className="colour-field">
                <input
                  type="color"
                  className="colour-swatch"
                  value={HEX_COLOUR.test(widget.accent) ? widget.accent.toLowerCase() : '#2563eb'}
                  onChange={(e) => set({ accent: e.target.value })}
                  aria-label="Pick the accent colour"
                  id={colourId}
                />
                <Input
                  value={widget.accent}
                  onChange={(e) => set({ accent: e.target.value.trim() })}
                  maxLength={7}
                  spellCheck={false}
                  autoComplete="off"
                  className="input-mono colour-hex"
                  {...control}
                />
              </div>
            )}
          </Field>
          <RadioGroup
            legend="Position"
            options={['right', 'left'] as const}
            value={widget.position}
            onChange={(position) => set({ position })}
            label={POSITION_LABEL}
            error={err('/widget/position')}
          />
        </div>
        <WidgetPreview widget={widget} name={name} />
      </div>
    </Card>
  )
}
