import type { ReactNode } from 'react'

interface TableProps {
  /** Read by screen readers; visually hidden. */
  caption: string
  head: ReactNode
  children: ReactNode
}

/**
 * A data table. Below the phone breakpoint each row becomes a stacked card; give every
 * `<td>` a `data-label` so the column name shows beside its value.
 */
export function Table({ caption, head, children }: TableProps) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>{head}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  )
}
