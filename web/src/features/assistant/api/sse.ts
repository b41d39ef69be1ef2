/** One server-sent event: its name (`message` when the stream gives none) and its data lines joined. */
export interface SseEvent {
  event: string
  data: string
}

export interface SseParser {
  /** Feeds the next piece of text; returns the events it completed. */
  push: (chunk: string) => SseEvent[]
  /** The stream ended: an event still missing its blank line is returned rather than lost. */
  end: () => SseEvent[]
}

/**
 * Splits a text/event-stream into events as its chunks arrive, following the HTML standard's
 * rules for `event:` and `data:` (comments and other fields are skipped). Lines may end in
 * `\n`, `\r\n` or `\r`, and a chunk may end anywhere, even between `\r` and `\n`.
 */
export function createSseParser(): SseParser {
  let buffer = ''
  let event = ''
  let data: string[] = []

  const dispatch = (out: SseEvent[]) => {
    if (data.length > 0) out.push({ event: event || 'message', data: data.join('\n') })
    event = ''
    data = []
  }

  const line = (text: string, out: SseEvent[]) => {
    if (text === '') {
      dispatch(out)
      return
    }
    if (text.startsWith(':')) return
    const colon = text.indexOf(':')
    const field = colon < 0 ? text : text.slice(0, colon)
    let value = colon < 0 ? '' : text.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }

  return {
    push(chunk) {
      buffer += chunk
      const out: SseEvent[] = []
      for (;;) {
        const lf = buffer.indexOf('\n')
        const cr = buffer.indexOf('\r')
        if (lf < 0 && cr < 0) break
        const at = cr >= 0 && (lf < 0 || cr < lf) ? cr : lf
        // A \r at the very end may be the first half of \r\n: wait for the next chunk.
        if (buffer[at] === '\r' && at === buffer.length - 1) break
        const width = buffer[at] === '\r' && buffer[at + 1] === '\n' ? 2 : 1
        line(buffer.slice(0, at), out)
        buffer = buffer.slice(at + width)
      }
      return out
    },
    end() {
      const out: SseEvent[] = []
      if (buffer !== '') line(buffer.replace(/\r$/, ''), out)
      buffer = ''
      dispatch(out)
      return out
    },
  }
}
