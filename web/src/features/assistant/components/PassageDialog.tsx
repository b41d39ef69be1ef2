import { Dialog } from '@/components/ui/Dialog'
import { FormError } from '@/components/ui/FormError'
import { Skeleton } from '@/components/ui/Skeleton'
import { hasCode } from '@/lib/api/problem'
import type { Citation } from '@/lib/api/types'
import { usePassage } from '../api/assistant'
import { highlight } from '../utils/text'

/** The passage a citation points at, in full, with the quoted words marked. */
export function PassageDialog({ citation, onClose }: { citation: Citation | null; onClose: () => void }) {
  const passage = usePassage(citation?.passage_id ?? null)
  const data = passage.data
  const title = data?.document_title ?? citation?.document_title ?? ''
  const page = data ? data.page : citation?.page
  const heading = data ? data.heading : citation?.heading
  const segments = data && citation ? highlight(data.text, citation.quote) : null
  const marked = segments?.some((s) => s.mark) ?? false

  return (
    <Dialog open={citation !== null} onClose={onClose} title={citation ? `Source [${citation.n}]` : 'Source'} size="drawer">
      {citation ? (
        <div className="passage">
          <div className="passage-head">
            <p className="passage-doc">{title}</p>
            <p className="muted passage-where">
              {[page != null ? `Page ${page}` : null, heading ?? null].filter(Boolean).join(' · ') || 'Whole document'}
            </p>
          </div>
          {passage.error ? (
            hasCode(passage.error, 'passage_not_found') ? (
              <p className="muted">
                This passage is gone: its document was deleted, replaced by a new file, or is no longer shared with you.
              </p>
            ) : (
              <FormError error={passage.error} />
            )
          ) : !data ? (
            <div className="stack-sm" role="status" aria-label="Loading the passage">
              <Skeleton />
              <Skeleton />
              <Skeleton width="70%" />
            </div>
          ) : (
            <blockquote className="passage-text" aria-label="Passage">
              {segments?.map((s, i) => (s.mark ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}
            </blockquote>
          )}
          {data && marked ? (
            <p className="muted passage-quote">
              The answer quotes the <mark>highlighted</mark> words.
            </p>
          ) : data && citation.quote ? (
            <p className="muted passage-quote">The answer draws on: “{citation.quote}”</p>
          ) : null}
        </div>
      ) : null}
    </Dialog>
  )
}
