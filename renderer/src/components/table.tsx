/** Pieces of the console's tables: the column headings, the row shown when there are none, a scrolling frame, pages. */
import type { ReactNode } from 'react'

/** A column heading; `num` right-aligns a column of figures. */
interface Column {
  label: ReactNode
  num?: boolean
}

/** The header row: plain strings, or columns with options. */
export function TableHead({ columns }: { columns: ReadonlyArray<string | Column> }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => {
          const { label, num } = typeof c === 'string' ? { label: c, num: false } : c
          return (
            <th key={i} scope="col" className={num ? 'num' : undefined}>
              {label}
            </th>
          )
        })}
      </tr>
    </thead>
  )
}

/** A column of figures (right-aligned). */
export const num = (label: string): Column => ({ label, num: true })

/** A column heading only screen readers hear (a column of buttons). */
export const unseen = (label: string): Column => ({ label: <span className="sr-only">{label}</span> })

/** The one row of a table with nothing in it, across all `columns`. */
export function EmptyRow({
  columns,
  className = 'muted empty',
  children,
}: {
  columns: number
  className?: string
  children: ReactNode
}) {
  return (
    <tr>
      <td colSpan={columns} className={className}>
        {children}
      </td>
    </tr>
  )
}

/** A wide table's frame: scrolls sideways on narrow windows, reachable and named for keyboard users. */
export function TableScroll({
  label,
  labelledBy,
  children,
}: {
  label?: string
  labelledBy?: string
  children: ReactNode
}) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={label} aria-labelledby={labelledBy}>
      {children}
    </div>
  )
}

/** Previous / "Page n of m" / Next, when there is more than one page. */
export function Pager({
  label,
  page,
  pages,
  onPage,
}: {
  label: string
  page: number
  pages: number
  onPage(page: number): void
}) {
  if (pages <= 1) return null
  return (
    <nav className="pager" aria-label={label}>
      <button disabled={page === 0} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page + 1} of {pages}
      </span>
      <button disabled={page + 1 >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  )
}
