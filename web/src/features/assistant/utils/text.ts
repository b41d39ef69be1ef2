/** Pure helpers for the playground: an answer's blocks and citation marks, a passage's highlight. */

export type Inline = { kind: 'text'; text: string } | { kind: 'cite'; n: number }

export interface Block {
  kind: 'paragraph' | 'quote'
  parts: Inline[]
}

/** "See [1] and [2]" → text, cite 1, text, cite 2. */
export function inlineParts(text: string): Inline[] {
  const parts: Inline[] = []
  const re = /\[(\d{1,2})\]/g
  let last = 0
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) parts.push({ kind: 'text', text: text.slice(last, m.index) })
    parts.push({ kind: 'cite', n: Number(m[1]) })
    last = m.index + m[0].length
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) })
  return parts
}

/**
 * An answer as paragraphs and quotations: blocks are separated by blank lines, and a block
 * whose lines start with "> " is a quotation (extractive answers quote that way).
 */
export function answerBlocks(text: string): Block[] {
  return text
    .split(/\n\s*\n/)
    .map((b) => b.replace(/^\n+|\s+$/g, ''))
    .filter((b) => b !== '')
    .map((b) => {
      const lines = b.split('\n')
      const quote = lines.every((l) => l.startsWith('>'))
      const body = quote ? lines.map((l) => l.replace(/^>\s?/, '')).join('\n') : b
      return { kind: quote ? 'quote' : 'paragraph', parts: inlineParts(body) }
    })
}

export interface Segment {
  text: string
  mark: boolean
}

function normalise(s: string): { text: string; map: number[] } {
  // Lower case, runs of white space as one space, curly quotes as straight; map back to the original.
  let text = ''
  const map: number[] = []
  let space = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i)
    if (/\s/.test(c)) {
      if (space) continue
      space = true
      text += ' '
      map.push(i)
      continue
    }
    space = false
    text += c.replace(/[’‘]/g, "'").replace(/[“”]/g, '"').toLowerCase()
    map.push(i)
  }
  return { text, map }
}

/**
 * The passage with the quoted words marked. The quote is looked for as it is, then ignoring
 * case, spacing and curly quotes; if it is not there (a model may paraphrase), nothing is marked.
 */
export function highlight(text: string, quote: string): Segment[] {
  const q = quote.trim().replace(/^[“"]|[”"]$/g, '').replace(/…$/, '').trim()
  if (q === '') return [{ text, mark: false }]
  let start = text.indexOf(q)
  let end = start + q.length
  if (start < 0) {
    const t = normalise(text)
    const n = normalise(q).text.trim()
    const at = n ? t.text.indexOf(n) : -1
    if (at < 0) return [{ text, mark: false }]
    start = t.map[at] ?? 0
    end = (t.map[at + n.length - 1] ?? text.length - 1) + 1
  }
  return [
    { text: text.slice(0, start), mark: false },
    { text: text.slice(start, end), mark: true },
    { text: text.slice(end), mark: false },
  ].filter((s) => s.text !== '')
}

/** "[1] Price list · p. 2" */
export function citationLabel(c: { n: number; document_title: string; page?: number | null }): string {
  return `[${c.n}] ${c.document_title}${c.page != null ? ` · p. ${c.page}` : ''}`
}
