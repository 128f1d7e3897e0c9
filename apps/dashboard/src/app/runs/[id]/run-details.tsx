'use client';

import { useActionState, useState } from 'react';
import { deleteRun, saveRunDetails, type RunActionState, type RunDetailsState } from '../../actions';

const ENDED = new Set(['RUN_STATUS_SUCCEEDED', 'RUN_STATUS_FAILED', 'RUN_STATUS_CANCELLED']);

/**
 * What describes a run — tags, notes, archived — edited in place, and its deletion with its artifacts
 * after a confirmation (offered only for an ended run; the trainer refuses any other).
 */
export function RunDetails({
  id,
  status,
  tags,
  notes,
  archived,
  artifacts,
}: {
  id: string;
  status: string;
  tags: string[];
  notes: string;
  archived: boolean;
  /** How many objects the run has in the store, said in the confirmation. */
  artifacts: number;
}) {
  const [saveState, saveAction, saving] = useActionState<RunDetailsState, FormData>(
    saveRunDetails.bind(null, id),
    {},
  );
  const [deleteState, deleteAction, deleting] = useActionState<RunActionState>(deleteRun.bind(null, id), {});
  const [confirming, setConfirming] = useState(false);
  const ended = ENDED.has(status);

  return (
    <section className="card" data-testid="run-details">
      <h2>Notes and tags</h2>
      <form action={saveAction} noValidate>
        <label htmlFor="run-tags">Tags (comma-separated)</label>
        <input
          id="run-tags"
          name="tags"
          defaultValue={tags.join(', ')}
          aria-invalid={saveState.field === 'tags' ? true : undefined}
          aria-describedby={saveState.field === 'tags' ? 'run-details-error' : undefined}
        />
        <label htmlFor="run-notes">Notes</label>
        <textarea id="run-notes" name="notes" rows={4} defaultValue={notes} maxLength={10_000} />
        <label className="inline">
          <input type="checkbox" name="archived" defaultChecked={archived} data-testid="run-archived" />{' '}
          Archived (left out of the Runs page unless its query says <code>archived:yes</code> or{' '}
          <code>archived:any</code>)
        </label>
        <div className="actions">
          <button type="submit" disabled={saving} data-testid="save-run-details">
            {saving ? 'Saving…' : 'Save'}
          </button>
          {saveState.saved !== undefined && !saveState.error && (
            <span className="muted" role="status" data-testid="run-details-saved">
              Saved.
            </span>
          )}
        </div>
        {saveState.error && (
          <p className="field-error" role="alert" id="run-details-error" data-testid="run-details-error">
            {saveState.error}
          </p>
        )}
      </form>
      <h3>Delete</h3>
      {!ended ? (
        <p className="muted" data-testid="delete-unavailable">
          A run that may still train is not deleted: cancel it first.
        </p>
      ) : !confirming ? (
        <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="delete-run">
          Delete this run…
        </button>
      ) : (
        <form action={deleteAction} className="confirm" data-testid="delete-confirm">
          <p>
            Delete run <code>{id}</code> and its {artifacts} stored objects (configuration, checkpoints,
            statistics, metrics, logs)? This cannot be undone.
          </p>
          <div className="actions">
            <button type="submit" className="danger" disabled={deleting} data-testid="confirm-delete">
              {deleting ? 'Deleting…' : 'Delete it'}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        </form>
      )}
      {deleteState.error && (
        <p className="field-error" role="alert" data-testid="delete-error">
          {deleteState.error}
        </p>
      )}
    </section>
  );
}
