import type { UploadState } from '../api/upload'

/** The file being sent and how far along it is. */
export function UploadProgress({ state }: { state: UploadState }) {
  const percent = Math.round(state.progress * 100)
  const processing = percent >= 100
  return (
    <div className="upload-progress" role="status" aria-live="polite">
      <p className="upload-progress-text">
        <span className="strong">{processing ? 'Processing' : 'Uploading'}</span> {state.name}
        <span className="muted"> · {processing ? 'making the sizes…' : `${percent}%`}</span>
      </p>
      <div className="progress" role="progressbar" aria-label={`Uploading ${state.name}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <span className="progress-bar" style={{ width: `${percent}%` }} />
      </div>
    </div>
  )
}
