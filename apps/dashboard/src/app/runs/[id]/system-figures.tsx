import { bytes } from '../../../lib/format';
import { currentFigures, type LiveFigures } from '../../../lib/system-figures';
import type { RunView } from '../../../server/grpc';

/** What the trainer measured of the run's training: throughput, step time, memory, where it ran. */
export function SystemFigures({ run, live }: { run: RunView; live?: LiveFigures }) {
  const f = currentFigures(run.system, live);
  const figure = (label: string, value: string, testId: string, title?: string) => (
    <div className="stat">
      <div className="value" data-testid={testId} title={title}>
        {value}
      </div>
      <div className="label">{label}</div>
    </div>
  );
  return (
    <div data-testid="system-figures">
      <h2>System</h2>
      <div className="stats">
        {figure(
          'Training img/s',
          f.imagesPerSecond === undefined ? '–' : f.imagesPerSecond.toFixed(1),
          'system-images-per-second',
        )}
        {figure('Step time', f.stepMs === undefined ? '–' : `${f.stepMs.toFixed(0)} ms`, 'system-step-ms')}
        {figure(
          'Peak memory (RSS)',
          f.peakRssBytes === undefined ? '–' : bytes(f.peakRssBytes),
          'system-peak-rss',
          f.peakRssBytes === undefined ? undefined : `${f.peakRssBytes} bytes`,
        )}
        {live && figure('Memory now', f.rssBytes === undefined ? '–' : bytes(f.rssBytes), 'system-rss')}
        {figure('Backend', run.backend || '–', 'system-backend')}
        {figure('Device', run.device || '–', 'system-device')}
      </div>
      <p className="muted small-print">
        {run.system?.steps ? `Over ${run.system.steps} timed steps of stage-1 training` : 'No timed step yet'}
        {run.system?.host ? ` on ${run.system.host}` : ''}. A step is timed from the end of the step before it
        in the same task (alignment and evaluation between tasks are not); memory is the trainer process’s
        resident set, which other runs on the same trainer share.
      </p>
    </div>
  );
}
