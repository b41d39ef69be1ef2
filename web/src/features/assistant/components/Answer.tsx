import { Fragment } from 'react'
import { Icon } from '@/components/ui/Icon'
import type { AnswerMode, Citation } from '@/lib/api/types'
import { answerBlocks, citationLabel, type Inline } from '../utils/text'

interface AnswerProps {
  text: string
  citations: readonly Citation[]
  onCite: (c: Citation) => void
  /** Shows a caret at the end while the text streams in. */
  streaming?: boolean
}

function Parts({ parts, citations, onCite }: { parts: Inline[]; citations: readonly Citation[]; onCite: (c: Citation) => void }) {
  return (
    <>
      {parts.map((p, i) => {
        if (p.kind === 'text') return <Fragment key={i}>{p.text}</Fragment>
        const c = citations.find((x) => x.n === p.n)
        if (!c) return <Fragment key={i}>[{p.n}]</Fragment>
        return (
          <button key={i} type="button" className="cite-mark" onClick={() => onCite(c)} aria-label={`Source ${citationLabel(c)}`}>
            {p.n}
          </button>
        )
      })}
    </>
  )
}

/** An answer's text: paragraphs and quotations, its [n] marks as buttons that open the source. */
export function AnswerText({ text, citations, onCite, streaming }: AnswerProps) {
  const blocks = answerBlocks(text)
  return (
    <div className="answer-text">
      {blocks.map((b, i) =>
        b.kind === 'quote' ? (
          <blockquote key={i}>
            <Parts parts={b.parts} citations={citations} onCite={onCite} />
          </blockquote>
        ) : (
          <p key={i}>
            <Parts parts={b.parts} citations={citations} onCite={onCite} />
          </p>
        ),
      )}
      {streaming ? <span className="answer-caret" aria-hidden="true" /> : null}
    </div>
  )
}

/** The sources of an answer as numbered chips: "[1] Price list · p. 2". */
export function CitationChips({ citations, onCite }: { citations: readonly Citation[]; onCite: (c: Citation) => void }) {
  if (citations.length === 0) return null
  return (
    <div className="citations">
      <p className="citations-label">Sources</p>
      <ul className="citation-list" aria-label="Sources">
        {citations.map((c) => (
          <li key={`${c.n}-${c.passage_id}`}>
            <button type="button" className="citation-chip" onClick={() => onCite(c)} title={c.heading ?? c.document_title}>
              <span className="citation-n">[{c.n}]</span>
              <span className="citation-title">
                {c.document_title}
                {c.page != null ? <span className="muted"> · p. {c.page}</span> : null}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  )
}

/** Whether a language model wrote the answer or it quotes the documents, in one line. */
export function ModeNote({ mode, cited }: { mode: AnswerMode; cited: boolean }) {
  if (mode === 'llm') {
    return (
      <p className="answer-mode">
        <Icon name="sparkles" size={14} />
        {cited ? (
          <span>
            <span className="strong">Written by a language model</span> from the sources below; open them to check its
            words.
          </span>
        ) : (
          <span>
            <span className="strong">Written by a language model</span>, which cited no passage of your documents.
          </span>
        )}
      </p>
    )
  }
  // Without sources there is nothing quoted: the answer says the documents do not cover it.
  if (!cited) return null
  return (
    <p className="answer-mode">
      <Icon name="file" size={14} />
      <span>
        <span className="strong">Quoted from your documents</span>: no language model wrote this; these are the passages
        that best match the question, word for word.
      </span>
    </p>
  )
}
