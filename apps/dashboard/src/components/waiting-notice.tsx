import { waitingLine } from '../lib/format';

/**
 * A paused run's reason beside its status: the dependency it waits for. The run is not failing; it goes on
 * when that dependency answers. Renders nothing when the run waits for nothing.
 */
export function WaitingNotice({ run }: { run: { status: string; waitingFor?: string } }) {
  const line = waitingLine(run);
  if (!line) return null;
  return (
    <span
      className="badge waiting"
      role="status"
      data-testid="run-waiting"
      title="The run is paused, not failing: it continues when this answers."
    >
      ⏸ {line}
    </span>
  );
}
