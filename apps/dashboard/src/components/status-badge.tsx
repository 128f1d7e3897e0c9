import { statusLabel } from '../lib/format';

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge ${status}`} data-testid="run-status" data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
