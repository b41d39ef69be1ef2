import { Card } from '@/components/ui/Card'
import type { TrialConversions } from '@/lib/api/types'
import { convertedTotal, percentText, plural } from '../utils/figures'

/** How trials end: the share that moved to a paid plan, and those running now. */
export function TrialsCard({ trials, planName }: { trials: TrialConversions; planName: (key: string) => string }) {
  const won = convertedTotal(trials)
  const ended = won + trials.lapsed
  const rate = percentText(trials.rate)
  const byPlan = Object.entries(trials.converted)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([plan, n]) => `${planName(plan)} ${n.toLocaleString()}`)
    .join(', ')

  return (
    <Card title="Trials" description={`Trials that ended in the last ${trials.days} days, and those running now.`}>
      <div className="stack">
        {rate !== null && trials.rate != null ? (
          <div className="trial-rate">
            <p className="trial-rate-value">
              {rate} <span className="muted">converted to a paid plan</span>
            </p>
            <div
              className="progress"
              role="progressbar"
              aria-label={`Trial conversion: ${rate}`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(trials.rate * 100)}
            >
              <span className="progress-bar" style={{ width: `${trials.rate * 100}%` }} />
            </div>
            <p className="muted">{plural(ended, 'trial', 'trials')} ended in this window.</p>
          </div>
        ) : (
          <p className="muted">No trial has ended in the last {trials.days} days, so there is no conversion rate yet.</p>
        )}
        <dl className="details details-compact">
          <div>
            <dt>Running now</dt>
            <dd>{plural(trials.trialing, 'workspace', 'workspaces')}</dd>
          </div>
          <div>
            <dt>Converted</dt>
            <dd>
              {plural(won, 'workspace', 'workspaces')}
              {byPlan ? <span className="muted"> ({byPlan})</span> : null}
            </dd>
          </div>
          <div>
            <dt>Lapsed</dt>
            <dd>
              {plural(trials.lapsed, 'workspace', 'workspaces')}
              <span className="muted"> moved to the free level</span>
            </dd>
          </div>
        </dl>
      </div>
    </Card>
  )
}
