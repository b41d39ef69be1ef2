import { useMe } from '@/lib/api/me'
import { canManage } from '@/lib/roles'
import { useDocumentUploads } from '../api/upload'
import { DocumentsCard } from './DocumentsCard'
import { UploadCard } from './UploadCard'

/** The knowledge base: adding documents, and the list of them with how far each has been read. */
export function KnowledgePage() {
  const me = useMe()
  const role = me.data?.role
  const editor = me.data !== undefined && role !== 'client' && !me.data.read_only
  const admin = canManage(role) && !me.data?.read_only
  const uploads = useDocumentUploads()

  return (
    <>
      {editor ? <UploadCard admin={admin} items={uploads.items} upload={uploads.upload} dismiss={uploads.dismiss} /> : null}
      <DocumentsCard
        editor={editor}
        admin={admin}
        client={role === 'client'}
        uploads={uploads.items}
        replace={uploads.replace}
        dismiss={uploads.dismiss}
      />
    </>
  )
}
