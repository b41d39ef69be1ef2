import { useQueryClient } from '@tanstack/react-query'
import { lazy, Suspense, useEffect } from 'react'
import { useParams } from 'react-router'
import { Spinner } from '@/components/ui/Spinner'
import { pageContentQuery, siteQuery } from '@/features/sites/api/queries'

const loadEditor = () => import('@/features/sites/editor/EditorPage')

// Opened straight from an address (a link, a reload): fetch the editor along with the app.
if (/\/sites\/[^/]+\/pages\/[^/]+\/edit\/?$/.test(window.location.pathname)) void loadEditor()

/** The page editor (GrapesJS) is large: it loads only when a page is opened for editing. */
const PageEditor = lazy(loadEditor)

export function EditorRoute() {
  const { siteId = '', pageId = '' } = useParams()
  const qc = useQueryClient()

  // The page and its site are fetched while the editor's code loads, not after.
  useEffect(() => {
    void qc.prefetchQuery(siteQuery(siteId))
    void qc.prefetchQuery(pageContentQuery(siteId, pageId))
  }, [qc, siteId, pageId])

  return (
    <Suspense
      fallback={
        <div className="route-loading" role="status" aria-label="Opening the editor">
          <Spinner size="md" />
        </div>
      }
    >
      <PageEditor />
    </Suspense>
  )
}
