import { useMemo, useRef, useState } from 'react'
import { Card } from '@/components/ui/Card'
import { EmptyState } from '@/components/ui/EmptyState'
import { LoadError } from '@/components/ui/LoadError'
import { SkeletonRows } from '@/components/ui/Skeleton'
import { useToast } from '@/components/ui/toast-context'
import type { AssistantDocument, Member } from '@/lib/api/types'
import { isSettled, useClientMembers, useDocuments } from '../api/documents'
import { DOCUMENT_ACCEPT, DOCUMENT_TYPES_TEXT, type UploadItem } from '../api/upload'
import { plural } from '../utils/labels'
import { DeleteDocumentDialog } from './DeleteDocumentDialog'
import { DocumentRow } from './DocumentRow'
import { VisibilityDialog } from './VisibilityDialog'

interface DocumentsCardProps {
  /** May upload, change and delete (members and above, not read-only). */
  editor: boolean
  admin: boolean
  client: boolean
  uploads: readonly UploadItem[]
  replace: (doc: AssistantDocument, file: File) => Promise<AssistantDocument[]>
  dismiss: (key: number) => void
}

function summary(docs: readonly AssistantDocument[]): string {
  const reading = docs.filter((d) => !isSettled(d)).length
  const failed = docs.filter((d) => d.status === 'failed').length
  const parts = [plural(docs.length, 'document')]
  if (reading > 0) parts.push(`${reading} being read`)
  if (failed > 0) parts.push(`${failed} failed`)
  return parts.join(' · ')
}

/** The knowledge base's documents, kept current while any is being read. */
export function DocumentsCard({ editor, admin, client, uploads, replace, dismiss }: DocumentsCardProps) {
  const docs = useDocuments()
  const clients = useClientMembers(editor)
  const toast = useToast()
  const input = useRef<HTMLInputElement>(null)
  // The document whose Replace button opened the file chooser.
  const replacing = useRef<AssistantDocument | null>(null)
  const [sharing, setSharing] = useState<AssistantDocument | null>(null)
  const [deleting, setDeleting] = useState<AssistantDocument | null>(null)
  const byId = useMemo(() => new Map<string, Member>((clients.data ?? []).map((m) => [m.id, m])), [clients.data])
  const list = docs.data

  const onFile = async (files: FileList | null) => {
    const file = files?.[0]
    const doc = replacing.current
    if (input.current) input.current.value = ''
    replacing.current = null
    if (!file || !doc) return
    const done = await replace(doc, file)
    if (done.length > 0) toast({ title: 'File replaced', description: `${doc.title}: the assistant is reading ${file.name} now.` })
  }

  return (
    <Card
      title="Documents"
      description={list && list.length > 0 ? summary(list) : 'What the assistant answers from.'}
      flush
    >
      <input
        ref={input}
        type="file"
        accept={DOCUMENT_ACCEPT}
        className="visually-hidden"
        tabIndex={-1}
        aria-label="Choose the replacement file"
        onChange={(e) => void onFile(e.target.files)}
      />
      {docs.error ? (
        <div className="card-pad">
          <LoadError error={docs.error} onRetry={() => void docs.refetch()} retrying={docs.isFetching} />
        </div>
      ) : !list ? (
        <div className="card-pad">
          <SkeletonRows rows={3} label="Loading documents" />
        </div>
      ) : list.length === 0 ? (
        <EmptyState
          icon="file"
          title={client ? 'Nothing shared with you yet' : 'Your knowledge base is empty'}
          description={
            client ? (
              'When the team shares documents with you, they appear here and the assistant can answer your questions from them.'
            ) : (
              <>
                Add the documents your customers ask about: price lists, opening hours, menus, policies, FAQs, product
                sheets. The assistant answers only from them and shows the passage each answer comes from. It reads{' '}
                {DOCUMENT_TYPES_TEXT} files up to 25 MB.
                {editor ? null : ' Ask a workspace member to add some.'}
              </>
            )
          }
        />
      ) : (
        <ul className="doc-list" aria-label="Documents">
          {list.map((doc) => (
            <DocumentRow
              key={doc.id}
              doc={doc}
              clients={byId}
              editor={editor}
              uploads={uploads.filter((u) => u.target === doc.id)}
              onDismissUpload={dismiss}
              onVisibility={() => setSharing(doc)}
              onReplace={() => {
                replacing.current = doc
                input.current?.click()
              }}
              onDelete={() => setDeleting(doc)}
            />
          ))}
        </ul>
      )}
      <VisibilityDialog doc={sharing} admin={admin} onClose={() => setSharing(null)} />
      <DeleteDocumentDialog doc={deleting} onClose={() => setDeleting(null)} />
    </Card>
  )
}
