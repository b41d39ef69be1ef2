import type { Editor, UploadFileFn } from 'grapesjs'
import { useCallback, useEffect, useRef, useState } from 'react'
import { Link, useBlocker, useNavigate, useParams } from 'react-router'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { EmptyState } from '@/components/ui/EmptyState'
import { FormError } from '@/components/ui/FormError'
import { Icon, type IconName } from '@/components/ui/Icon'
import { Spinner } from '@/components/ui/Spinner'
import { useToast } from '@/components/ui/toast-context'
import { useMe } from '@/lib/api/me'
import { hasCode, problemMessage } from '@/lib/api/problem'
import type { PageContent, Site, SiteAsset } from '@/lib/api/types'
import { selfId } from '@/lib/identity'
import { canManage } from '@/lib/roles'
import { useAssets, useSite } from '../api/sites'
import { uploadAsset, type UploadState } from '../api/upload'
import { PublishDialog } from '../components/PublishDialogs'
import { UploadProgress } from '../components/UploadProgress'
import { hostOf } from '../utils/site'
import { ConflictDialog } from './ConflictDialog'
import { createEditor, DEVICES, mountPanel, projectOf, type Device } from './grapes'
import { previewHtml, usePageContent } from './pageApi'
import { PreviewDialog } from './PreviewDialog'
import { SaveStatus } from './SaveStatus'
import { SeoDialog } from './SeoDialog'
import { usePageSession } from './usePageSession'
import { VersionsDrawer } from './VersionsDrawer'
import './editor.css'

type Tab = 'blocks' | 'style' | 'layers' | 'settings'

const TABS: { id: Tab; label: string; icon: IconName }[] = [
  { id: 'blocks', label: 'Blocks', icon: 'blocks' },
  { id: 'style', label: 'Style', icon: 'brush' },
  { id: 'layers', label: 'Layers', icon: 'layers' },
  { id: 'settings', label: 'Settings', icon: 'sliders' },
]

const DEVICE_ICON: Record<Device['id'], IconName> = { desktop: 'monitor', tablet: 'tablet', phone: 'phone' }

const wait = (ms: number) => new Promise<void>((resolve) => window.setTimeout(resolve, ms))

/** Ends in-place text editing, so that what was typed is in the project. */
async function endEditing(editor: Editor) {
  const view = editor.getEditing()?.getView()
  if (view && 'disableEditing' in view && typeof view.disableEditing === 'function') {
    await view.disableEditing()
    // The editor counts the change on the next turns of the event loop.
    await wait(30)
  }
}

function assetProps(a: SiteAsset) {
  return { type: 'image', src: a.url, name: a.name, width: a.width, height: a.height }
}

function BackToSite({ siteId }: { siteId: string }) {
  return (
    <Link to={`/sites/${siteId}`} className="editor-back" aria-label="Back to the site">
      <Icon name="arrowLeft" size={18} />
    </Link>
  )
}

/** The page editor: GrapesJS in the middle, StackPro's bar above and panels beside it. */
export default function EditorPage() {
  const { siteId = '', pageId = '' } = useParams()
  const site = useSite(siteId)
  const page = usePageContent(siteId, pageId)
  const error = site.error ?? page.error

  if (error) {
    const missing = hasCode(error, 'page_not_found') || hasCode(error, 'site_not_found') || hasCode(error, 'invalid_path')
    return (
      <div className="editor-fallback">
        <EmptyState
          icon={missing ? 'file' : 'alert'}
          title={missing ? 'Page not found' : 'The editor could not open this page'}
          description={missing ? 'It may have been deleted.' : <FormError error={error} />}
          action={
            <Link to={siteId ? `/sites/${siteId}` : '/sites'} className="btn btn-secondary btn-md">
              <Icon name="arrowLeft" size={16} />
              <span>Back to the site</span>
            </Link>
          }
        />
      </div>
    )
  }

  if (!site.data || !page.data) return <EditorLoading />
  return <PageEditor key={pageId} site={site.data} initial={page.data} />
}

export function EditorLoading() {
  return (
    <div className="editor-fallback" role="status" aria-label="Opening the editor">
      <Spinner size="md" />
      <p className="muted">Opening the editor…</p>
    </div>
  )
}

function PageEditor({ site, initial }: { site: Site; initial: PageContent }) {
  const navigate = useNavigate()
  const toast = useToast()
  const me = useMe()
  const assets = useAssets(site.id)
  const manager = canManage(me.data?.role) && !me.data?.read_only

  const canvasRef = useRef<HTMLDivElement>(null)
  const blocksRef = useRef<HTMLDivElement>(null)
  const selectorsRef = useRef<HTMLDivElement>(null)
  const stylesRef = useRef<HTMLDivElement>(null)
  const layersRef = useRef<HTMLDivElement>(null)
  const traitsRef = useRef<HTMLDivElement>(null)
  const editorRef = useRef<Editor | null>(null)
  const suppress = useRef(false)

  const [ready, setReady] = useState(false)
  const [device, setDevice] = useState<Device['id']>('desktop')
  const [tab, setTab] = useState<Tab>('blocks')
  const [sheet, setSheet] = useState(false)
  const [dialog, setDialog] = useState<'seo' | 'versions' | 'preview' | 'publish' | 'conflict' | null>(null)
  const [history, setHistory] = useState({ undo: false, redo: false })
  const [upload, setUpload] = useState<UploadState | null>(null)
  const [preview, setPreview] = useState<{ html: string | null; error: unknown; stale: boolean }>({ html: null, error: null, stale: false })
  const [selected, setSelected] = useState<string | null>(null)

  const project = useCallback(async ({ explicit }: { explicit: boolean }) => {
    const editor = editorRef.current
    if (!editor) throw new Error('The editor is not open.')
    if (explicit) await endEditing(editor)
    return projectOf(editor)
  }, [])

  const load = useCallback(async (data: PageContent['project']) => {
    const editor = editorRef.current
    if (!editor) return
    suppress.current = true
    try {
      editor.loadProjectData(data)
      // Loading counts as changes on the next turns of the event loop; let them pass.
      await wait(80)
      editor.clearDirtyCount()
      editor.UndoManager.clear()
    } finally {
      suppress.current = false
    }
  }, [])

  const session = usePageSession({ site: site.id, initial, project, load })
  const sessionRef = useRef(session)
  useEffect(() => {
    sessionRef.current = session
  }, [session])

  // A conflict opens its dialog as soon as it is found, until the person closes it.
  const [dismissed, setDismissed] = useState<unknown>(null)
  const conflictOpen = dialog === 'conflict' || (session.status === 'conflict' && session.error !== dismissed)

  const refreshAssets = useCallback(
    async (editor: Editor) => {
      const { data } = await assets.refetch()
      if (!data) return
      // The picker shows its own "visible" copy of the list, filled when it opens.
      editor.AssetManager.getAll().reset(data.map(assetProps))
      editor.AssetManager.getAllVisible().reset(data.map(assetProps))
    },
    [assets],
  )
  const refreshRef = useRef(refreshAssets)
  useEffect(() => {
    refreshRef.current = refreshAssets
  }, [refreshAssets])

  const uploadFile = useCallback<UploadFileFn>(
    async (ev) => {
      const target = ev.target
      const files = ev.dataTransfer?.files ?? (target instanceof HTMLInputElement ? target.files : null)
      const editor = editorRef.current
      if (!files || !editor) return
      const added: SiteAsset[] = []
      for (const file of Array.from(files)) {
        setUpload({ name: file.name, progress: 0 })
        try {
          const asset = await uploadAsset(site.id, file, (progress) => setUpload({ name: file.name, progress }))
          added.push(asset)
          editor.AssetManager.add(assetProps(asset))
          editor.AssetManager.getAllVisible().add(assetProps(asset), { at: 0 })
        } catch (e) {
          toast({ tone: 'danger', title: `Couldn't upload ${file.name}`, description: problemMessage(e) })
        }
      }
      setUpload(null)
      if (target instanceof HTMLInputElement) target.value = ''
      if (added.length > 0) void refreshRef.current(editor)
    },
    [site.id, toast],
  )

  // GrapesJS is created once per page; the page's data is only its starting point.
  const start = useRef({ project: initial.project, template: site.template, uploadFile })
  useEffect(() => {
    const container = canvasRef.current
    const blocks = blocksRef.current
    if (!container || !blocks) return
    const editor = createEditor({
      container,
      blocks,
      project: start.current.project,
      template: start.current.template,
      uploadFile: start.current.uploadFile,
    })
    editorRef.current = editor
    let loaded = false
    const syncHistory = () => setHistory({ undo: editor.UndoManager.hasUndo(), redo: editor.UndoManager.hasRedo() })
    editor.on('load', () => {
      editor.clearDirtyCount()
      editor.UndoManager.clear()
      loaded = true
      void sessionRef.current.baseline()
      performance.mark('stackpro:editor-ready')
      setReady(true)
      void refreshRef.current(editor)
    })
    editor.on('update', () => {
      if (!loaded || suppress.current || editor.getDirtyCount() === 0) return
      sessionRef.current.changed()
      syncHistory()
    })
    editor.on('undo redo', syncHistory)
    // Ctrl+S / ⌘S saves, in the canvas too, instead of saving the browser's page.
    editor.Keymaps.add('stackpro:save', '⌘+s, ctrl+s', () => void sessionRef.current.save(), { prevent: true, force: true })
    editor.on('component:input', () => sessionRef.current.typing())
    editor.on('rte:disable', () => sessionRef.current.settle())
    editor.on('asset:open', () => void refreshRef.current(editor))
    editor.on('component:toggled', () => {
      const sel = editor.getSelected()
      setSelected(sel ? sel.getName() : null)
    })
    return () => {
      editorRef.current = null
      editor.destroy()
    }
  }, [])

  const chooseDevice = (id: Device['id']) => {
    const d = DEVICES.find((x) => x.id === id)
    if (!d || !editorRef.current) return
    editorRef.current.setDevice(d.name)
    setDevice(id)
  }

  const chooseTab = (id: Tab) => {
    if (tab === id) setSheet((open) => !open)
    else setSheet(true)
    setTab(id)
  }

  // Each panel is drawn the first time it is shown.
  const mounted = useRef(new Set<Tab>(['blocks']))
  useEffect(() => {
    const editor = editorRef.current
    const hosts = { selectors: selectorsRef.current, styles: stylesRef.current, layers: layersRef.current, traits: traitsRef.current }
    if (!ready || tab === 'blocks' || mounted.current.has(tab) || !editor) return
    if (!hosts.selectors || !hosts.styles || !hosts.layers || !hosts.traits) return
    mountPanel(editor, tab, { selectors: hosts.selectors, styles: hosts.styles, layers: hosts.layers, traits: hosts.traits })
    mounted.current.add(tab)
  }, [ready, tab])

  const openPreview = async () => {
    setPreview({ html: null, error: null, stale: false })
    setDialog('preview')
    const ok = await session.save()
    try {
      const html = await previewHtml(site.id, initial.id)
      setPreview({ html, error: null, stale: !ok })
    } catch (e) {
      setPreview({ html: null, error: e, stale: !ok })
    }
  }

  const saveBeforePublish = async () => {
    const ok = await session.save()
    if (!ok) {
      toast({ tone: 'danger', title: 'Not published', description: 'This page could not be saved first. Save it, then publish.' })
      throw new Error('not saved')
    }
  }

  // Leaving with unsaved changes: save first; if that fails, ask.
  const blocker = useBlocker(({ currentLocation, nextLocation }) => currentLocation.pathname !== nextLocation.pathname && session.hasUnsaved())
  const [leaveFailed, setLeaveFailed] = useState(false)
  const leaving = useRef(false)
  useEffect(() => {
    if (blocker.state !== 'blocked') {
      leaving.current = false
      return
    }
    if (leaving.current) return
    leaving.current = true
    void session.save().then((ok) => {
      if (ok) blocker.proceed()
      else setLeaveFailed(true)
    })
  }, [blocker, session])
  const stay = () => {
    setLeaveFailed(false)
    blocker.reset?.()
  }

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (sessionRef.current.hasUnsaved()) e.preventDefault()
    }
    window.addEventListener('beforeunload', warn)
    return () => window.removeEventListener('beforeunload', warn)
  }, [])

  const isHome = session.meta.path === '/'
  const live = Boolean(site.published_at)

  return (
    <div className={ready ? 'editor is-ready' : 'editor'} data-editor-ready={ready || undefined}>
      <header className="editor-bar">
        <div className="editor-bar-main">
          <BackToSite siteId={site.id} />
          <div className="editor-title">
            <p className="editor-site">{site.name}</p>
            <h1 className="editor-page" title={session.meta.title}>
              {session.meta.title} <span className="editor-path">{session.meta.path}</span>
            </h1>
          </div>
          <SaveStatus status={session.status} error={session.error} onRetry={() => void session.save()} onResolve={() => setDialog('conflict')} />
        </div>
        <div className="editor-bar-tools" role="toolbar" aria-label="Editor">
          <div className="segmented editor-devices" role="group" aria-label="Preview size">
            {DEVICES.map((d) => (
              <button key={d.id} type="button" className="segmented-btn" aria-pressed={device === d.id} onClick={() => chooseDevice(d.id)} title={`${d.name} view`} aria-label={d.name}>
                <Icon name={DEVICE_ICON[d.id]} size={16} />
                <span className="segmented-label">{d.name}</span>
              </button>
            ))}
          </div>
          <div className="editor-bar-group">
            <button type="button" className="icon-btn" onClick={() => editorRef.current?.UndoManager.undo()} disabled={!history.undo} aria-label="Undo" title="Undo">
              <Icon name="undo" size={18} />
            </button>
            <button type="button" className="icon-btn" onClick={() => editorRef.current?.UndoManager.redo()} disabled={!history.redo} aria-label="Redo" title="Redo">
              <Icon name="redo" size={18} />
            </button>
          </div>
          <div className="editor-bar-group">
            <Button size="sm" variant="ghost" icon="search" className="editor-tool" onClick={() => setDialog('seo')}>
              Page settings
            </Button>
            <Button size="sm" variant="ghost" icon="history" className="editor-tool" onClick={() => setDialog('versions')}>
              Versions
            </Button>
            <Button size="sm" variant="ghost" icon="eye" className="editor-tool" onClick={() => void openPreview()}>
              Preview
            </Button>
          </div>
          <div className="editor-bar-group editor-bar-end">
            <Button size="sm" onClick={() => void session.save()} loading={session.status === 'saving'} disabled={session.status === 'conflict'}>
              Save
            </Button>
            {manager ? (
              <Button size="sm" variant="primary" icon="rocket" onClick={() => setDialog('publish')}>
                Publish
              </Button>
            ) : null}
            {live ? (
              <a className="btn btn-ghost btn-sm editor-tool" href={site.url} target="_blank" rel="noopener noreferrer" title={hostOf(site.url)}>
                <Icon name="external" size={16} />
                <span>
                  View live site<span className="visually-hidden"> (opens in a new tab)</span>
                </span>
              </a>
            ) : null}
          </div>
        </div>
      </header>

      <main className="editor-body">
        <div className="editor-canvas">
          <div ref={canvasRef} className="editor-gjs" />
          {!ready ? (
            <div className="editor-canvas-loading">
              <Spinner size="md" label="Loading the page" />
            </div>
          ) : null}
          {upload ? (
            <div className="editor-upload">
              <UploadProgress state={upload} />
            </div>
          ) : null}
        </div>

        <aside className={sheet ? 'editor-panel is-open' : 'editor-panel'} aria-label="Editing panels">
          <div className="editor-tabs" role="tablist" aria-label="Panels">
            {TABS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={tab === t.id}
                aria-controls={`panel-${t.id}`}
                className="editor-tab"
                onClick={() => chooseTab(t.id)}
              >
                <Icon name={t.icon} size={18} />
                <span>{t.label}</span>
              </button>
            ))}
          </div>
          {/* Focusable so that the panel scrolls with the keyboard too. */}
          <div className="editor-panel-body" tabIndex={0} role="region" aria-labelledby={`tab-${tab}`}>
            <section id="panel-blocks" role="tabpanel" aria-labelledby="tab-blocks" hidden={tab !== 'blocks'}>
              <p className="editor-hint">Drag a block onto the page, or click it to add it after the selected element.</p>
              <div ref={blocksRef} />
            </section>
            <section id="panel-style" role="tabpanel" aria-labelledby="tab-style" hidden={tab !== 'style'}>
              {selected ? null : <p className="editor-hint">Select an element on the page to change its look.</p>}
              <div ref={selectorsRef} />
              <div ref={stylesRef} />
            </section>
            <section id="panel-layers" role="tabpanel" aria-labelledby="tab-layers" hidden={tab !== 'layers'}>
              <div ref={layersRef} />
            </section>
            <section id="panel-settings" role="tabpanel" aria-labelledby="tab-settings" hidden={tab !== 'settings'}>
              {selected ? (
                <p className="editor-hint">
                  Settings of the selected <span className="strong">{selected}</span>.
                </p>
              ) : (
                <p className="editor-hint">Select an element on the page to see its settings, like a link’s address or an image’s description.</p>
              )}
              <div ref={traitsRef} />
            </section>
          </div>
        </aside>
      </main>

      <SeoDialog
        open={dialog === 'seo'}
        site={site}
        meta={session.meta}
        isHome={isHome}
        assets={assets.data}
        onClose={() => setDialog(null)}
        onApply={(meta) => {
          session.setMeta(meta)
          setDialog(null)
          void session.save()
        }}
      />
      <VersionsDrawer
        open={dialog === 'versions'}
        onClose={() => setDialog(null)}
        site={site.id}
        page={initial.id}
        currentVersion={session.saved.version}
        etag={session.etag}
        unsaved={session.hasUnsaved()}
        selfId={selfId(me.data)}
        onRestored={session.adopt}
      />
      <PreviewDialog open={dialog === 'preview'} onClose={() => setDialog(null)} html={preview.html} error={preview.error} stale={preview.stale} />
      <PublishDialog site={site} open={dialog === 'publish'} onClose={() => setDialog(null)} before={saveBeforePublish} />
      <ConflictDialog
        open={conflictOpen}
        current={session.conflict?.current ?? null}
        mine={selfId(me.data)}
        onTakeTheirs={async () => {
          await session.takeTheirs()
          setDialog(null)
          toast({ title: 'Their version is loaded', description: 'You are editing the newest version now.' })
        }}
        onKeepMine={async () => {
          const ok = await session.keepMine()
          if (ok) {
            setDialog(null)
            toast({ title: 'Your version is saved', description: 'Theirs stays in the version history.' })
          }
          return ok
        }}
        onReload={() => navigate(0)}
        onClose={() => {
          setDismissed(session.error)
          setDialog(null)
        }}
      />
      <Dialog
        open={blocker.state === 'blocked' && leaveFailed}
        onClose={stay}
        title="Leave without saving?"
        description={`Your latest changes to ${session.meta.title} could not be saved.`}
        footer={
          <>
            <Button variant="ghost" onClick={stay}>
              Stay and fix it
            </Button>
            <Button variant="danger" onClick={() => blocker.proceed?.()}>
              Leave anyway
            </Button>
          </>
        }
      >
        {session.error ? <FormError error={session.error} /> : null}
      </Dialog>
    </div>
  )
}
