'use client';

import { useRouter } from 'next/navigation';
import { useActionState, useEffect, useMemo, useRef, useState } from 'react';
import { incAcc, lastAcc, type FormulaDisplay } from '@slca/metrics';
import { AccuracyHeatmap } from '../../../components/charts/heatmap';
import { LineChart } from '../../../components/charts/line-chart';
import { StatusBadge } from '../../../components/status-badge';
import { WaitingNotice } from '../../../components/waiting-notice';
import {
  CANCELLABLE_STATUSES,
  duration,
  percent,
  RESUMABLE_STATUSES,
  runDuration,
  TERMINAL_STATUSES,
} from '../../../lib/format';
import type { TrainHistoryPoint } from '@slca/artifacts';
import { forgettingAndBwt, historyPoint, type TrainEvent } from '../../../lib/live-run';
import { stepThroughput } from '../../../lib/train-axes';
import { trainCurveViews } from '../../../lib/train-curves';
import { SystemFigures } from './system-figures';
import { cancelRun, resumeRun, type RunActionState } from '../../actions';
import type { RunView } from '../../../server/grpc';

interface Formulas {
  forgetting: FormulaDisplay;
  bwt: FormulaDisplay;
  incAcc: FormulaDisplay;
  at: FormulaDisplay;
}

interface Phase {
  phase: string;
  task: number;
  tasks: number;
  step: number;
  steps: number;
}

/** A live step: the recorded step, the ETA and the run's system figures so far. */
interface LiveTrain extends TrainEvent {
  imagesPerSecond?: number;
  stepMs?: number;
}

interface StreamEvent {
  atMs: number;
  state?: RunView | null;
  train?: LiveTrain | null;
  phase?: Phase | null;
  evaluated?: { task: number; accuracy: number; perTask: number[] } | null;
  checkpoint?: { prefix: string; task: number; epoch: number; step: number } | null;
  log?: string | null;
}

type Connection = 'connecting' | 'live' | 'ended' | 'reconnecting' | 'failed';

/** The part of the run page that follows the run live: progress, curves, heatmap, metrics, log, actions. */
export function LiveRun({
  initialRun,
  initialRows,
  formulas,
  storedLog,
  history,
  matrixExportHref,
  canManage = false,
}: {
  initialRun: RunView;
  initialRows: number[][];
  formulas: Formulas;
  storedLog: string;
  /** Steps recorded by the trainer before the page opened. */
  history: TrainHistoryPoint[];
  /** Where the accuracy matrix downloads from. */
  matrixExportHref?: string;
  /** Whether the signed-in user may cancel and resume this run (the trainer checks again). */
  canManage?: boolean;
}) {
  const router = useRouter();
  const [run, setRun] = useState(initialRun);
  const [rows, setRows] = useState<number[][]>(initialRows);
  const [steps, setSteps] = useState<TrainHistoryPoint[]>(history);
  const [train, setTrain] = useState<LiveTrain | undefined>();
  const [phase, setPhase] = useState<Phase | undefined>();
  const [lines, setLines] = useState<string[]>([]);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [failure, setFailure] = useState<string | undefined>();
  const [stream, setStream] = useState(0);
  const [now, setNow] = useState(initialRun.finishedAtMs || Date.now());
  const splitShown = useRef(Boolean(initialRun.splitId));

  const [cancelState, cancelAction, cancelling] = useActionState<RunActionState>(
    cancelRun.bind(null, initialRun.id),
    {},
  );
  const [resumeState, resumeAction, resuming] = useActionState<RunActionState>(
    resumeRun.bind(null, initialRun.id),
    {},
  );

  useEffect(() => {
    if (resumeState.done) setStream((s) => s + 1);
  }, [resumeState]);

  useEffect(() => {
    if (TERMINAL_STATUSES.has(run.status)) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [run.status]);

  useEffect(() => {
    const source = new EventSource(`/api/runs/${encodeURIComponent(initialRun.id)}/events`);
    setConnection('connecting');
    source.onopen = () => setConnection('live');
    source.onerror = () => setConnection((c) => (c === 'ended' || c === 'failed' ? c : 'reconnecting'));
    source.addEventListener('end', () => {
      setConnection('ended');
      source.close();
      router.refresh();
    });
    source.addEventListener('failure', (e) => {
      setFailure((JSON.parse((e as MessageEvent<string>).data) as { message: string }).message);
      setConnection('failed');
      source.close();
    });
    source.onmessage = (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as StreamEvent;
      if (event.state) {
        const state = event.state;
        // The server-rendered parts (split, per-class views) follow the run: once its split is made,
        // render them again.
        if (state.splitId && !splitShown.current) {
          splitShown.current = true;
          router.refresh();
        }
        setRun(state);
        if (TERMINAL_STATUSES.has(state.status)) setNow(state.finishedAtMs || Date.now());
      }
      if (event.train) {
        const t = event.train;
        setTrain(t);
        setPhase(undefined);
        setSteps((p) => [...p, historyPoint(t, event.atMs)]);
      }
      if (event.phase) setPhase(event.phase);
      if (event.evaluated) {
        const { task, perTask } = event.evaluated;
        setRows((r) => (task <= r.length ? [...r.slice(0, task), perTask] : r));
        // A new row brings new predictions: the per-class views and the confusion matrix are rendered again.
        router.refresh();
      }
      if (event.log) {
        const line = `${new Date(event.atMs).toISOString()} ${event.log}`;
        setLines((l) => [...l.slice(-499), line]);
      }
    };
    return () => source.close();
  }, [initialRun.id, stream, router]);

  const accuracies = run.accuracies;
  const tasks = Math.max(run.tasks, rows.length);
  const summary = useMemo(() => forgettingAndBwt(tasks, rows), [tasks, rows]);
  const loss = useMemo(() => trainCurveViews([{ name: 'loss', steps, y: (p) => p.loss }]), [steps]);
  const rates = useMemo(
    () =>
      trainCurveViews(
        [
          { name: 'head lr', steps, y: (p: TrainHistoryPoint) => p.lr },
          { name: 'backbone lr', steps, y: (p: TrainHistoryPoint) => p.backboneLr },
        ].filter((c) => steps.every((p) => c.y(p) > 0)),
        true,
      ),
    [steps],
  );
  const throughput = useMemo(() => {
    const ips = stepThroughput(steps);
    const kept = steps.flatMap((p, i) => (ips[i] === null ? [] : [{ ...p, ips: ips[i] as number }]));
    return trainCurveViews([
      { name: 'images per second', steps: kept, y: (p) => (p as typeof p & { ips: number }).ips },
    ]);
  }, [steps]);
  const fraction = train
    ? (train.task * train.epochs + train.epoch + (train.step + 1) / Math.max(1, train.steps)) /
      Math.max(1, train.tasks * train.epochs)
    : run.tasks
      ? run.tasksDone / run.tasks
      : 0;
  const took = runDuration(run, now);
  const done = TERMINAL_STATUSES.has(run.status);
  const shownFraction = run.status === 'RUN_STATUS_SUCCEEDED' ? 1 : Math.min(1, fraction);

  return (
    <>
      <section className="card" data-testid="live-progress">
        <div className="actions" style={{ justifyContent: 'space-between' }}>
          <div className="actions">
            <StatusBadge status={run.status} />
            <WaitingNotice run={run} />
            <span className="muted" data-testid="connection">
              {connection === 'live' ? '● live' : connection === 'ended' ? 'stream ended' : connection}
            </span>
          </div>
          <div className="actions">
            {canManage && CANCELLABLE_STATUSES.has(run.status) && (
              <form action={cancelAction}>
                <button type="submit" className="secondary" disabled={cancelling} data-testid="cancel-run">
                  Cancel run
                </button>
              </form>
            )}
            {canManage && RESUMABLE_STATUSES.has(run.status) && (
              <form action={resumeAction}>
                <button type="submit" disabled={resuming} data-testid="resume-run">
                  Resume from latest checkpoint
                </button>
              </form>
            )}
          </div>
        </div>
        {(cancelState.error || resumeState.error) && (
          <p className="field-error" role="alert">
            {cancelState.error ?? resumeState.error}
          </p>
        )}
        {failure && <div className="error-panel">{failure}</div>}
        {run.error && (
          <div className="error-panel" data-testid="run-error">
            {run.error}
          </div>
        )}
        <div className="progress" aria-label="progress" style={{ margin: '12px 0' }}>
          <div style={{ width: `${(shownFraction * 100).toFixed(1)}%` }} />
        </div>
        <div className="stats">
          <Stat
            label="Task"
            value={
              train
                ? `${train.task + 1} / ${train.tasks}`
                : run.tasks
                  ? `${run.tasksDone} / ${run.tasks} done`
                  : '–'
            }
            testId="progress-task"
          />
          <Stat
            label="Epoch"
            value={train && !done ? `${train.epoch + 1} / ${train.epochs}` : '–'}
            testId="progress-epoch"
          />
          <Stat
            label="Step"
            value={train && !done ? `${train.step + 1} / ${train.steps}` : '–'}
            testId="progress-step"
          />
          <Stat label="Loss" value={train ? train.loss.toFixed(4) : '–'} />
          <Stat
            label="Phase"
            value={done ? '–' : phase ? `${phase.phase} (task ${phase.task + 1})` : train ? 'training' : '–'}
          />
          <Stat label="ETA" value={train && !done ? duration(train.etaSeconds * 1000) : '–'} />
          <Stat label="Elapsed" value={took === undefined ? '–' : duration(took)} />
        </div>
      </section>

      <section className="card">
        <div className="stats">
          <Stat
            label="Last-Acc (A_T)"
            value={percent(accuracies.length ? lastAcc(accuracies) : undefined)}
            testId="last-acc"
          />
          <Stat
            label="Inc-Acc"
            value={percent(accuracies.length ? incAcc(accuracies) : undefined)}
            testId="inc-acc"
          />
          <Stat
            label="Forgetting"
            value={summary ? `${summary.forgetting.toFixed(2)} pp` : '–'}
            testId="forgetting"
          />
          <Stat label="BWT" value={summary ? `${summary.bwt.toFixed(2)} pp` : '–'} testId="bwt" />
        </div>
        <details open>
          <summary>How these are computed</summary>
          {[formulas.at, formulas.incAcc, formulas.forgetting, formulas.bwt].map((f) => (
            <div key={f.name}>
              <p className="formula">{f.text}</p>
              <p className="muted">{f.legend}</p>
            </div>
          ))}
        </details>
      </section>

      <div className="grid2">
        <section className="card">
          <LineChart
            title="Training loss"
            testId="loss-chart"
            {...loss}
            xName="epoch"
            yLabel="cross-entropy loss (nats)"
            smoothing
            tableDigits={4}
            emptyText={done ? 'No training steps were recorded for this run.' : 'Waiting for training steps…'}
          />
        </section>
        <section className="card">
          <LineChart
            title="Learning rate"
            testId="lr-chart"
            {...rates}
            xName="epoch"
            yLabel="learning rate (log scale)"
            logY
            tableDigits={6}
            emptyText={done ? 'No training steps were recorded for this run.' : 'Waiting for training steps…'}
          />
        </section>
        <section className="card">
          <LineChart
            title="Accuracy on all seen classes after each task (A_t)"
            testId="at-chart"
            series={[{ name: 'A_t', points: accuracies.map((a, t) => ({ x: t + 1, y: a })), dots: true }]}
            xLabel="after task t (dashed: task boundaries)"
            yLabel="accuracy A_t (%)"
            xDomain={{ min: 0.5, max: Math.max(1, run.tasks) + 0.5 }}
            yDomain={{ min: 0, max: 100 }}
            integerX
            markers={Array.from({ length: Math.max(0, run.tasks - 1) }, (_, t) => ({
              x: t + 1.5,
              label: '',
            }))}
            emptyText="No task evaluated yet."
          />
        </section>
        <section className="card">
          <AccuracyHeatmap tasks={tasks} rows={rows} exportHref={matrixExportHref} />
        </section>
      </div>

      <section className="card">
        <SystemFigures run={run} live={done ? undefined : train} />
        {throughput.series[0].points.length > 1 && (
          <LineChart
            title="Training throughput"
            testId="throughput-chart"
            {...throughput}
            xName="epoch"
            yLabel="images per second"
            smoothing
            tableDigits={1}
          />
        )}
      </section>

      <section className="card">
        <h2>Log</h2>
        <pre className="log" data-testid="run-log">
          {storedLog}
          {lines.filter((l) => !storedLog.includes(l.slice(25))).join('\n')}
          {!storedLog && lines.length === 0 && 'No log lines yet.'}
        </pre>
      </section>
    </>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <div className="value" data-testid={testId}>
        {value}
      </div>
      <div className="label">{label}</div>
    </div>
  );
}
