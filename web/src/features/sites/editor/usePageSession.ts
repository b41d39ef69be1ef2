import { useCallback, useEffect, useRef, useState } from 'react'
import { hasCode } from '@/lib/api/problem'
import type { PageContent } from '@/lib/api/types'
import { conflictCurrent, metaOf, savePage, type PageMeta } from './pageApi'

/** How long editing must pause before an autosave. */
export const AUTOSAVE_MS = 1500

export type SaveStatus = 'saved' | 'dirty' | 'saving' | 'error' | 'conflict'

export interface Conflict {
  /** The version someone else saved, as it is now. */
  current: PageContent
}

interface Options {
  site: string
  initial: PageContent
  /** Readies the project for a save (ends in-place text editing when asked) and returns it. */
  project: (opts: { explicit: boolean }) => Promise<Record<string, unknown>>
  /** Puts another version's project into the editor; resolves once the editor has settled. */
  load: (project: PageContent['project']) => Promise<void>
}

/**
 * The save cycle of one page: every change counts, saves wait for a pause, each save names the
 * version it started from (If-Match), and a save that finds a newer version stops autosaving
 * until the person chooses whose version wins.
 */
export function usePageSession({ site, initial, project, load }: Options) {
  const pageId = initial.id
  const [status, setStatus] = useState<SaveStatus>('saved')
  const [error, setError] = useState<unknown>(null)
  const [conflict, setConflict] = useState<Conflict | null>(null)
  const [saved, setSaved] = useState<PageContent>(initial)
  const [meta, setMetaState] = useState<PageMeta>(() => metaOf(initial))

  const etag = useRef(initial.etag)
  const metaRef = useRef(metaOf(initial))
  const seq = useRef(0)
  const savedSeq = useRef(0)
  const paused = useRef(false)
  const inflight = useRef<Promise<boolean> | null>(null)
  const timer = useRef<number | undefined>(undefined)
  const saveRef = useRef<(explicit: boolean) => Promise<boolean>>(async () => false)
  /** What was last saved (or loaded), to skip saves that would change nothing. */
  const lastSaved = useRef<string | null>(null)

  const schedule = useCallback(() => {
    window.clearTimeout(timer.current)
    timer.current = window.setTimeout(() => void saveRef.current(false), AUTOSAVE_MS)
  }, [])

  /** A change in the editor: counted, and saved after a pause. */
  const changed = useCallback(() => {
    seq.current += 1
    if (paused.current) return
    setStatus((s) => (s === 'saving' ? s : 'dirty'))
    schedule()
  }, [schedule])

  /** Text being typed in place: unsaved, but saved only once the editing ends. */
  const typing = useCallback(() => {
    seq.current += 1
    if (paused.current) return
    window.clearTimeout(timer.current)
    setStatus((s) => (s === 'saving' ? s : 'dirty'))
  }, [])

  /** Called when in-place editing ends, in case it changed nothing the editor counts. */
  const settle = useCallback(() => {
    if (!paused.current && seq.current !== savedSeq.current) schedule()
  }, [schedule])

  const save = useCallback(
    async (explicit: boolean, force = false): Promise<boolean> => {
      window.clearTimeout(timer.current)
      while (inflight.current) await inflight.current
      if (paused.current) return false
      const body = await project({ explicit })
      const snapshot = JSON.stringify([metaRef.current, body])
      const unchanged = lastSaved.current !== null ? snapshot === lastSaved.current : seq.current === savedSeq.current
      if (!force && unchanged) {
        // Nothing new: the editor counts some changes that change nothing.
        savedSeq.current = seq.current
        setStatus('saved')
        return true
      }
      const startSeq = seq.current
      const run = (async () => {
        setStatus('saving')
        try {
          const page = await savePage(site, pageId, etag.current, metaRef.current, body)
          etag.current = page.etag
          savedSeq.current = startSeq
          lastSaved.current = snapshot
          setSaved(page)
          setError(null)
          if (seq.current === startSeq) {
            setStatus('saved')
          } else {
            setStatus('dirty')
            schedule()
          }
          return true
        } catch (e) {
          const current = conflictCurrent(e)
          if (current || hasCode(e, 'version_conflict')) {
            paused.current = true
            setStatus('conflict')
            setConflict(current ? { current } : null)
            setError(e)
          } else {
            setStatus('error')
            setError(e)
          }
          return false
        }
      })()
      inflight.current = run
      try {
        return await run
      } finally {
        inflight.current = null
      }
    },
    [pageId, project, schedule, site],
  )

  useEffect(() => {
    saveRef.current = save
  }, [save])

  useEffect(() => () => window.clearTimeout(timer.current), [])

  /** Takes what the editor holds now as saved: after it loads a version from the server. */
  const baseline = useCallback(async () => {
    lastSaved.current = JSON.stringify([metaRef.current, await project({ explicit: false })])
  }, [project])

  /** Replaces what is being edited with a version from the server, which is then current. */
  const adopt = useCallback(
    async (page: PageContent) => {
      window.clearTimeout(timer.current)
      paused.current = true
      await load(page.project)
      etag.current = page.etag
      metaRef.current = metaOf(page)
      await baseline()
      setMetaState(metaOf(page))
      setSaved(page)
      savedSeq.current = seq.current
      paused.current = false
      setConflict(null)
      setError(null)
      setStatus('saved')
    },
    [baseline, load],
  )

  /** Conflict, "discard mine": their version goes into the editor. */
  const takeTheirs = useCallback(async () => {
    if (conflict) await adopt(conflict.current)
  }, [adopt, conflict])

  /** Conflict, "overwrite with mine": saves again, over the version that is current now. */
  const keepMine = useCallback(async () => {
    if (!conflict) return false
    etag.current = conflict.current.etag
    paused.current = false
    setConflict(null)
    if (seq.current === savedSeq.current) seq.current += 1
    return save(true, true)
  }, [conflict, save])

  /** New title, description, path, social image or noindex: saved with the project. */
  const setMeta = useCallback(
    (next: PageMeta) => {
      metaRef.current = next
      setMetaState(next)
      changed()
    },
    [changed],
  )

  return {
    status,
    error,
    conflict,
    /** The last saved version (number, time, etag). */
    saved,
    meta,
    setMeta,
    changed,
    typing,
    settle,
    /** Saves now; resolves whether everything is saved. */
    save: useCallback(() => save(true), [save]),
    adopt,
    baseline,
    takeTheirs,
    keepMine,
    etag: () => etag.current,
    hasUnsaved: () => seq.current !== savedSeq.current || inflight.current !== null,
  }
}

export type PageSession = ReturnType<typeof usePageSession>
