import { useEffect, useRef, useState } from 'react'
import { Button } from './Button'
import { Field } from './Field'

interface CopyFieldProps {
  label: string
  value: string
  hint?: string
  /** Renders the value in a monospace face (secrets, tokens). */
  mono?: boolean
}

async function copyText(text: string, fallback: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    // Clipboard API needs a secure context; fall back to selecting the text.
    if (!fallback) return false
    fallback.select()
    return document.execCommand('copy')
  }
}

export function CopyField({ label, value, hint, mono }: CopyFieldProps) {
  const input = useRef<HTMLInputElement>(null)
  const [copied, setCopied] = useState(false)

  useEffect(() => {
    if (!copied) return
    const t = window.setTimeout(() => setCopied(false), 2000)
    return () => window.clearTimeout(t)
  }, [copied])

  return (
    <Field label={label} hint={hint}>
      {(control) => (
        <div className="copy-field">
          <input
            ref={input}
            className={mono ? 'input input-mono' : 'input'}
            readOnly
            value={value}
            onFocus={(e) => e.currentTarget.select()}
            {...control}
          />
          <Button
            icon={copied ? 'check' : 'copy'}
            onClick={() => void copyText(value, input.current).then(setCopied)}
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        </div>
      )}
    </Field>
  )
}
