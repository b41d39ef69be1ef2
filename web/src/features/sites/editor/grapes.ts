import grapesjs, { type Editor, type ProjectData, type UploadFileFn } from 'grapesjs'
import 'grapesjs/dist/css/grapes.min.css'
import { addBlocks } from './blocks'

export type PanelId = 'style' | 'layers' | 'settings'

export interface PanelHosts {
  selectors: HTMLElement
  styles: HTMLElement
  layers: HTMLElement
  traits: HTMLElement
}

/**
 * Renders a panel the first time it is shown. The style, layer and trait managers are the
 * slowest parts of GrapesJS to draw, so the editor opens without them.
 */
export function mountPanel(editor: Editor, panel: PanelId, hosts: PanelHosts) {
  if (panel === 'style') {
    hosts.selectors.append(editor.SelectorManager.render(editor.SelectorManager.getSelected()))
    hosts.styles.append(editor.StyleManager.render())
  } else if (panel === 'layers') {
    hosts.layers.append(editor.LayerManager.render())
  } else {
    hosts.traits.append(editor.TraitManager.render())
  }
}

export interface Device {
  id: 'desktop' | 'tablet' | 'phone'
  name: string
  /** Canvas width; empty for the full width. */
  width: string
  /** The max-width of the media rule that styles set in this view go to. */
  widthMedia: string
}

/** Tablet matches the templates' own breakpoint (max-width: 768px). */
export const DEVICES: readonly Device[] = [
  { id: 'desktop', name: 'Desktop', width: '', widthMedia: '' },
  { id: 'tablet', name: 'Tablet', width: '768px', widthMedia: '768px' },
  { id: 'phone', name: 'Phone', width: '375px', widthMedia: '480px' },
]

/** What the server puts in front of every published page, so that the canvas looks the same. */
const BASE_CSS = '* { box-sizing: border-box; } body { margin: 0; } img { max-width: 100%; height: auto; }'

/** Form controls as plain elements with the settings a contact form needs; their text isn't edited in place. */
function addFormTypes(editor: Editor) {
  const field = { type: 'text', name: 'name', label: 'Field name' }
  const required = { type: 'checkbox', name: 'required', label: 'Required' }
  editor.Components.addType('input', {
    isComponent: (el) => el.tagName === 'INPUT',
    model: {
      defaults: {
        tagName: 'input',
        void: true,
        droppable: false,
        traits: [
          field,
          {
            type: 'select',
            name: 'type',
            label: 'Kind',
            options: [
              { id: 'text', label: 'Text' },
              { id: 'email', label: 'Email' },
              { id: 'tel', label: 'Phone' },
              { id: 'number', label: 'Number' },
              { id: 'date', label: 'Date' },
            ],
          },
          'placeholder',
          required,
        ],
      },
    },
  })
  editor.Components.addType('textarea', {
    isComponent: (el) => el.tagName === 'TEXTAREA',
    model: {
      defaults: {
        tagName: 'textarea',
        droppable: false,
        traits: [field, 'placeholder', { type: 'number', name: 'rows', label: 'Rows', min: 2, max: 20 }, required],
      },
    },
  })
  editor.Components.addType('form', {
    isComponent: (el) => el.tagName === 'FORM',
    model: {
      defaults: {
        tagName: 'form',
        traits: [{ type: 'text', name: 'data-sp-form', label: 'Form name' }],
      },
    },
  })
}

export interface CreateOptions {
  container: HTMLElement
  blocks: HTMLElement
  project: ProjectData
  template: string
  uploadFile: UploadFileFn
}

/**
 * GrapesJS, configured to make no request of its own: no telemetry, no icon font from a CDN,
 * no storage (pages are saved through StackPro's API) and our own panels around the canvas.
 */
export function createEditor({ container, blocks, project, template, uploadFile }: CreateOptions): Editor {
  const editor = grapesjs.init({
    container,
    height: '100%',
    width: 'auto',
    telemetry: false,
    cssIcons: '',
    storageManager: false,
    projectData: project,
    // Plugins run before the project loads, so its form controls find their types.
    plugins: [addFormTypes, (ed: Editor) => addBlocks(ed, template)],
    noticeOnUnload: false,
    showDevices: false,
    panels: { defaults: [] },
    protectedCss: BASE_CSS,
    canvas: { styles: [], scripts: [] },
    undoManager: { trackSelection: false },
    deviceManager: {
      default: 'desktop',
      devices: DEVICES.map((d) => ({ id: d.id, name: d.name, width: d.width, widthMedia: d.widthMedia })),
    },
    blockManager: { appendTo: blocks, blocks: [] },
    selectorManager: { componentFirst: false },
    assetManager: {
      assets: [],
      uploadFile,
      showUrlInput: false,
      multiUpload: true,
      noAssets: '<p class="sp-am-empty">No images yet. Drop an image here or choose one to upload.</p>',
    },
  })
  return editor
}

/** The project to save: the server renders it, and the site's images are listed from the API instead. */
export function projectOf(editor: Editor): Record<string, unknown> {
  const data: unknown = editor.getProjectData()
  const project: Record<string, unknown> = typeof data === 'object' && data !== null ? { ...data } : {}
  project.assets = []
  return project
}
