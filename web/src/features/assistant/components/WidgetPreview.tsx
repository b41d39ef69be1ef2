import type { CSSProperties } from 'react'
import { Icon } from '@/components/ui/Icon'
import type { WidgetSettings } from '@/lib/api/types'
import { HEX_COLOUR, textOn } from '../utils/colour'

interface WidgetPreviewProps {
  widget: WidgetSettings
  name: string
}

/**
 * A drawing of the chat on a website, with the chosen colour, side and greeting: the look only.
 * The real widget is a script the server adds to published sites.
 */
export function WidgetPreview({ widget, name }: WidgetPreviewProps) {
  const accent = HEX_COLOUR.test(widget.accent) ? widget.accent : '#2563eb'
  const style: CSSProperties & Record<'--widget-accent' | '--widget-on-accent', string> = {
    '--widget-accent': accent,
    '--widget-on-accent': textOn(accent),
  }
  return (
    <figure className="widget-preview-figure">
      <div className={`widget-preview is-${widget.position}${widget.enabled ? '' : ' is-off'}`} style={style} aria-hidden="true">
        <div className="wp-browser">
          <span />
          <span />
          <span />
          <span className="wp-address">your-site.example</span>
        </div>
        <div className="wp-page">
          <span className="wp-line wp-line-title" />
          <span className="wp-line" />
          <span className="wp-line wp-line-short" />
          <span className="wp-block" />
        </div>
        <div className="wp-panel">
          <div className="wp-panel-head">
            <span className="wp-avatar">
              <Icon name="sparkles" size={14} />
            </span>
            <span className="wp-name">{name || 'Assistant'}</span>
            <Icon name="close" size={14} />
          </div>
          <div className="wp-panel-body">
            <p className="wp-msg wp-msg-bot">{widget.greeting || 'Hi! Ask me anything about us.'}</p>
            <p className="wp-msg wp-msg-visitor">Are you open on Sundays?</p>
            <p className="wp-msg wp-msg-bot">
              On Sundays we open from 8am to noon. <span className="wp-cite">1</span>
            </p>
          </div>
          <div className="wp-panel-input">
            <span>Ask a question…</span>
            <span className="wp-send">
              <Icon name="arrowRight" size={14} />
            </span>
          </div>
        </div>
        <span className="wp-bubble">
          <Icon name="chat" size={22} />
        </span>
      </div>
      <figcaption className="muted widget-preview-caption">
        {widget.enabled
          ? `Preview: the chat bubble sits at the bottom ${widget.position} of every page of your published sites.`
          : 'Preview of the look. The widget is off, so your sites show no chat bubble.'}
      </figcaption>
    </figure>
  )
}
