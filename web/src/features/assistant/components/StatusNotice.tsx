import { Link } from 'react-router'
import type { AssistantStatus } from '@/lib/api/types'

/** What this installation can do, when it is less than everything: keyword search only, or no language model. */
export function StatusNotice({ status, manager }: { status: AssistantStatus | undefined; manager: boolean }) {
  if (!status) return null
  const keywordsOnly = !status.semantic
  const quoting = status.llm == null
  if (!keywordsOnly && !quoting) {
    return (
      <p className="chat-status muted">
        Answers by <span className="strong">{status.llm}</span>
        {status.embedder ? <>, searching by meaning with {status.embedder}</> : null}.
      </p>
    )
  }
  return (
    <div className="chat-notice" role="note">
      {keywordsOnly ? (
        <p>
          <span className="strong">Searching by keywords only:</span> no embedding model is installed, so a question finds
          passages that share its words, not ones that only mean the same.
        </p>
      ) : null}
      {quoting ? (
        <p>
          <span className="strong">Answers quote your documents:</span> no language model is connected, so the assistant
          shows the best-matching passages instead of writing an answer.
          {manager && status.own_llm_allowed ? (
            <>
              {' '}
              <Link to="/assistant/settings">Connect one in Settings</Link>.
            </>
          ) : manager ? (
            <>
              {' '}
              Connecting your own needs another plan: <Link to="/billing#plans">compare plans</Link>.
            </>
          ) : null}
        </p>
      ) : (
        <p className="muted">Answers by {status.llm}.</p>
      )}
    </div>
  )
}
