import type { Block, Component, Editor } from 'grapesjs'

/**
 * StackPro's own blocks, written with the templates' class names (`sp-*`) so that whatever is
 * added takes the look of the site's template. Sections go between the page's sections; the
 * others go where they are dropped, or after the selected element when the block is clicked.
 */
interface BlockDef {
  id: string
  label: string
  category: 'Sections' | 'Text' | 'Media' | 'Actions'
  level: 'section' | 'element'
  /** A 24×24 stroke drawing. */
  icon: string
  content: string | Record<string, unknown>
  activate?: boolean
}

const svg = (d: string) =>
  `<svg viewBox="0 0 24 24" width="28" height="28" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="${d}"/></svg>`

/** The blocks, with the site's template's own picture where one is needed. */
const blocks = (picture: string): BlockDef[] => [
  {
    id: 'sp-section',
    label: 'Section',
    category: 'Sections',
    level: 'section',
    icon: 'M3 5h18v14H3zM7 9h10M7 13h6',
    content: `<section class="sp-section"><h2 class="sp-h2">A new section</h2><p class="sp-p">Say what this part of the page is about. Double-click to edit the text.</p></section>`,
  },
  {
    id: 'sp-section-alt',
    label: 'Shaded section',
    category: 'Sections',
    level: 'section',
    icon: 'M3 5h18v14H3zM3 9h18M7 13h10M7 16h6',
    content: `<section class="sp-section-alt"><h2 class="sp-h2">A new section</h2><p class="sp-p">A shaded background sets it apart from the sections around it.</p></section>`,
  },
  {
    id: 'sp-cards',
    label: 'Three cards',
    category: 'Sections',
    level: 'section',
    icon: 'M3 6h5v12H3zM9.5 6h5v12h-5zM16 6h5v12h-5z',
    content: `<section class="sp-section"><h2 class="sp-h2">What we offer</h2><p class="sp-sub">A short line about your services.</p><div class="sp-grid"><article class="sp-card"><h3 class="sp-card-title">First service</h3><p class="sp-card-text">What it is and who it is for.</p></article><article class="sp-card"><h3 class="sp-card-title">Second service</h3><p class="sp-card-text">What it is and who it is for.</p></article><article class="sp-card"><h3 class="sp-card-title">Third service</h3><p class="sp-card-text">What it is and who it is for.</p></article></div></section>`,
  },
  {
    id: 'sp-two',
    label: 'Two columns',
    category: 'Sections',
    level: 'section',
    icon: 'M3 5h8v14H3zM13 5h8v14h-8z',
    content: `<section class="sp-section"><div class="sp-two"><div class="sp-col"><h2 class="sp-h2">Left column</h2><p class="sp-p">Some text for the left side.</p></div><div class="sp-col"><h2 class="sp-h2">Right column</h2><p class="sp-p">Some text for the right side.</p></div></div></section>`,
  },
  {
    id: 'sp-image-text',
    label: 'Image and text',
    category: 'Sections',
    level: 'section',
    icon: 'M3 6h8v12H3zM3 15l3-3 2 2 3-3M14 8h7M14 12h7M14 16h4',
    content: `<section class="sp-section-alt"><div class="sp-about"><img class="sp-about-img" src="${picture}" alt="Describe the picture" width="800" height="600"/><div class="sp-about-text"><h2 class="sp-h2">A heading</h2><p class="sp-p">Tell the story behind the picture. Double-click the picture to choose one of your images.</p></div></div></section>`,
  },
  {
    id: 'sp-quotes',
    label: 'Reviews',
    category: 'Sections',
    level: 'section',
    icon: 'M5 8h5v5H7l-2 3zM14 8h5v5h-3l-2 3z',
    content: `<section class="sp-section"><h2 class="sp-h2">What customers say</h2><div class="sp-grid"><figure class="sp-quote"><blockquote class="sp-quote-text">“A short sentence from a happy customer.”</blockquote><figcaption class="sp-quote-who">— Customer name</figcaption></figure><figure class="sp-quote"><blockquote class="sp-quote-text">“What they came for, and how it went.”</blockquote><figcaption class="sp-quote-who">— Customer name</figcaption></figure></div></section>`,
  },
  {
    id: 'sp-contact',
    label: 'Contact form',
    category: 'Sections',
    level: 'section',
    icon: 'M4 5h16v14H4zM7 9h10M7 12h10M7 15h5',
    content: `<section class="sp-section"><h2 class="sp-h2">Get in touch</h2><p class="sp-sub">Send a message and we will reply soon.</p><form class="sp-form" data-sp-form="contact"><div class="sp-field"><label for="f-name">Your name</label><input id="f-name" name="name" type="text" autocomplete="name" required/></div><div class="sp-field"><label for="f-email">Email</label><input id="f-email" name="email" type="email" autocomplete="email" required/></div><div class="sp-field"><label for="f-message">Message</label><textarea id="f-message" name="message" rows="5" required></textarea></div><button class="sp-btn" type="submit">Send message</button></form></section>`,
  },
  {
    id: 'sp-heading',
    label: 'Heading',
    category: 'Text',
    level: 'element',
    icon: 'M6 5v14M18 5v14M6 12h12',
    content: `<h2 class="sp-h2">A heading</h2>`,
  },
  {
    id: 'sp-subheading',
    label: 'Small heading',
    category: 'Text',
    level: 'element',
    icon: 'M8 7v10M16 7v10M8 12h8',
    content: `<h3 class="sp-card-title">A small heading</h3>`,
  },
  {
    id: 'sp-text',
    label: 'Paragraph',
    category: 'Text',
    level: 'element',
    icon: 'M4 7h16M4 11h16M4 15h16M4 19h9',
    content: `<p class="sp-p">Write a paragraph here. Double-click to edit it.</p>`,
  },
  {
    id: 'sp-quote',
    label: 'Quote',
    category: 'Text',
    level: 'element',
    icon: 'M6 8h5v5H8l-2 3zM14 8h5v5h-3l-2 3z',
    content: `<figure class="sp-quote"><blockquote class="sp-quote-text">“A short quote.”</blockquote><figcaption class="sp-quote-who">— Who said it</figcaption></figure>`,
  },
  {
    id: 'sp-image',
    label: 'Image',
    category: 'Media',
    level: 'element',
    icon: 'M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15.5 9.5h.01',
    content: { type: 'image', attributes: { alt: 'Describe the picture' } },
    activate: true,
  },
  {
    id: 'sp-button',
    label: 'Button',
    category: 'Actions',
    level: 'element',
    icon: 'M4 8h16v8H4zM9 12h6',
    content: `<a class="sp-btn" href="#contact">Contact us</a>`,
  },
  {
    id: 'sp-button-alt',
    label: 'Outline button',
    category: 'Actions',
    level: 'element',
    icon: 'M4 8h16v8H4z',
    content: `<a class="sp-btn-alt" href="#contact">Learn more</a>`,
  },
  {
    id: 'sp-link',
    label: 'Link',
    category: 'Actions',
    level: 'element',
    icon: 'M10 14a4.5 4.5 0 0 0 6.4 0l3.2-3.2a4.5 4.5 0 0 0-6.4-6.4l-1 1M14 10a4.5 4.5 0 0 0-6.4 0l-3.2 3.2a4.5 4.5 0 0 0 6.4 6.4l1-1',
    content: `<a class="sp-link" href="/">A link</a>`,
  },
]

function isMain(c: Component | undefined): boolean {
  return !c || c.get('type') === 'wrapper' || c.get('tagName') === 'main'
}

/** The page's sections live in <main> (or the page itself, for pages without one). */
function sectionHost(editor: Editor): Component {
  const wrapper = editor.getWrapper()
  const main = wrapper?.find('main')[0]
  if (main) return main
  if (!wrapper) throw new Error('The editor has no page loaded.')
  return wrapper
}

/** Adds a block where a click means: after the selection, or at the end of the page's sections. */
function place(editor: Editor, def: BlockDef) {
  const selected = editor.getSelected()
  let parent: Component | undefined
  let at: number | undefined
  if (selected && def.level === 'element' && selected.parent()) {
    parent = selected.parent()
    at = selected.index() + 1
  } else if (selected && def.level === 'section') {
    let top: Component | undefined = selected
    while (top && !isMain(top.parent())) top = top.parent()
    if (top && top.parent()) {
      parent = top.parent()
      at = top.index() + 1
    }
  }
  const host = parent ?? sectionHost(editor)
  const added = host.append(def.content, at === undefined ? {} : { at })
  const first = added[0]
  if (first) {
    editor.select(first)
    first.getEl()?.scrollIntoView({ behavior: 'smooth', block: 'center' })
    if (def.activate) editor.runCommand('open-assets', { target: first, types: ['image'], accept: 'image/*' })
  }
}

export function addBlocks(editor: Editor, template: string) {
  const manager = editor.Blocks
  for (const def of blocks(`/_stackpro/t/${encodeURIComponent(template)}/about.svg`)) {
    manager.add(def.id, {
      label: def.label,
      category: def.category,
      media: svg(def.icon),
      content: def.content,
      activate: def.activate,
      select: true,
      onClick: (_block: Block, ed: Editor) => place(ed, def),
    })
  }
}
