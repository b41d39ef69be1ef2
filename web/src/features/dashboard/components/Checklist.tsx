import { Link } from 'react-router'
import { Card } from '@/components/ui/Card'
import { Icon } from '@/components/ui/Icon'

export interface ChecklistItem {
  title: string
  description: string
  done: boolean
  to: string
  cta: string
}

export function Checklist({ items }: { items: ChecklistItem[] }) {
  const done = items.filter((i) => i.done).length
  return (
    <Card title="Get started" description={`${done} of ${items.length} done`}>
      <div className="progress" role="progressbar" aria-label="Setup progress" aria-valuemin={0} aria-valuemax={items.length} aria-valuenow={done}>
        <span className="progress-bar" style={{ width: `${(done / items.length) * 100}%` }} />
      </div>
      <ul className="checklist">
        {items.map((item) => (
          <li key={item.title} className={item.done ? 'checklist-item is-done' : 'checklist-item'}>
            <span className="checklist-mark">
              <Icon name={item.done ? 'checkCircle' : 'circle'} size={20} />
            </span>
            <span className="checklist-text">
              <span className="strong">{item.title}</span>
              <span className="muted">{item.description}</span>
            </span>
            {item.done ? (
              <span className="visually-hidden">Done</span>
            ) : (
              <Link to={item.to} className="checklist-cta">
                {item.cta}
              </Link>
            )}
          </li>
        ))}
      </ul>
    </Card>
  )
}
