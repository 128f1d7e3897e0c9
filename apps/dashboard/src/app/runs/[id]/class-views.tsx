import Link from 'next/link';
import { oldNewTable, tableTexts } from '@slca/metrics';
import { LineChart } from '../../../components/charts/line-chart';
import { MatrixHeatmap } from '../../../components/charts/matrix-heatmap';
import { ExportLinks } from '../../../components/export-links';
import { percent } from '../../../lib/format';
import { confusionOf, runTable, taskConfusionOf, type ClassViews } from '../../../lib/run-views';

const pp = (value: number | null | undefined) =>
  value === null || value === undefined ? '–' : `${value.toFixed(2)} pp`;

function exportHref(runId: string, table: string, task?: number): string {
  const base = `/api/runs/${encodeURIComponent(runId)}/export/${table}`;
  return task === undefined ? base : `${base}?task=${task}`;
}

/**
 * The continual-learning views of a run: the stability/plasticity summary and old- vs new-class accuracy
 * per task (every run with an evaluated task), per-class accuracy after each task and the confusion
 * matrix of any task's model (runs whose predictions the evaluator stored). Computed by @slca/metrics.
 */
export function ContinualViews({
  runId,
  views,
  names,
  confusionTask,
}: {
  runId: string;
  views: ClassViews;
  names?: readonly string[];
  /** The task whose model's confusion matrix is shown (from `?confusion=`), else the last one predicted. */
  confusionTask?: number;
}) {
  const { summary, oldNew, predictedTasks, perClass } = views;
  const shownTask =
    confusionTask !== undefined && predictedTasks.includes(confusionTask)
      ? confusionTask
      : predictedTasks.at(-1);
  const name = (c: number) => names?.[c] ?? `class ${c}`;
  return (
    <>
      <section className="card" data-testid="stability-plasticity">
        <h2>Stability and plasticity</h2>
        {!summary ? (
          <p className="empty">Shown once a task is evaluated.</p>
        ) : (
          <>
            <p data-testid="stability-plasticity-text">{views.summaryText}</p>
            <div className="stats">
              <Stat
                label="Plasticity (new classes, just learned)"
                value={percent(summary.plasticity)}
                testId="plasticity"
              />
              <Stat
                label="Stability (old classes, after later tasks)"
                value={summary.stability === null ? '–' : percent(summary.stability)}
                testId="stability"
              />
              <Stat
                label="Harmonic mean"
                value={summary.harmonic === null ? '–' : percent(summary.harmonic)}
                testId="harmonic"
              />
              <Stat label="Stability − plasticity" value={pp(summary.gap)} testId="sp-gap" />
              <Stat
                label="Old classes after the last task"
                value={summary.finalOld === null ? '–' : percent(summary.finalOld)}
              />
              <Stat label="New classes after the last task" value={percent(summary.finalNew)} />
            </div>
            <details>
              <summary>How these are computed</summary>
              <p className="muted">
                Plasticity is the mean over tasks t of R[t][t], the accuracy on task t’s classes right after
                learning them. Stability is the mean over tasks t ≥ 2 of the accuracy on the classes of tasks
                1..t−1 after task t, weighted by their test images (so it is the share of old-class test
                images classified correctly). Their harmonic mean is high only when both are.
              </p>
            </details>
            <ExportLinks
              href={exportHref(runId, 'summary')}
              what="the stability and plasticity summary"
              testId="export-summary"
            />
          </>
        )}
      </section>

      {oldNew.length > 0 && (
        <div className="grid2">
          <section className="card">
            <LineChart
              title="Old- vs new-class accuracy after each task"
              testId="old-new-chart"
              series={[
                {
                  name: 'old classes (tasks before t)',
                  points: oldNew
                    .filter((r) => r.old !== null)
                    .map((r) => ({ x: r.task + 1, y: r.old as number })),
                  dots: true,
                },
                {
                  name: 'new classes (task t)',
                  points: oldNew.map((r) => ({ x: r.task + 1, y: r.new })),
                  dots: true,
                },
              ]}
              xLabel="after task t"
              yLabel="accuracy (%)"
              xDomain={{ min: 0.5, max: views.tasks + 0.5 }}
              yDomain={{ min: 0, max: 100 }}
              integerX
            />
          </section>
          <section className="card">
            <h2>Old vs new classes per task</h2>
            <div className="table-wrap">
              <table data-testid="old-new-table">
                <thead>
                  <tr>
                    {oldNewTable(oldNew).columns.map((c) => (
                      <th key={c.title} scope="col" className={c.align === 'right' ? 'num' : undefined}>
                        {c.title}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {tableTexts(oldNewTable(oldNew)).map((row, i) => (
                    <tr key={i}>
                      {row.map((cell, j) => (
                        <td key={j} className={j > 0 ? 'num' : undefined}>
                          {cell}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <ExportLinks
              href={exportHref(runId, 'old-new')}
              what="old- vs new-class accuracy"
              testId="export-old-new"
            />
          </section>
        </div>
      )}

      <section className="card" data-testid="per-class">
        <h2>Per-class accuracy after each task</h2>
        {!perClass ? (
          <p className="empty">
            {oldNew.length === 0
              ? 'Shown once a task is evaluated.'
              : 'This run was evaluated before the evaluator kept its predictions: no per-class view.'}
          </p>
        ) : (
          <>
            <MatrixHeatmap
              title="Accuracy of each class (%) after each task; blank before the class is learned"
              testId="per-class-heatmap"
              rowTitle="after task"
              colTitle="class (k = the k-th class of the run’s order)"
              rowLabels={predictedTasks.map((t) => `after task ${t + 1}`)}
              colLabels={(perClass[0] ?? []).map((_, c) => name(c))}
              values={perClass.map((row) => row.map((v) => v ?? undefined))}
              format={(v) => v.toFixed(0)}
              describe={(k, c, v) =>
                `${name(c)} (class ${c}) after task ${predictedTasks[k] + 1}: ${v.toFixed(2)} %`
              }
              legend={['0 %', '100 % accuracy']}
              table={runTable('per-class', views, { names }) as Exclude<ReturnType<typeof runTable>, string>}
            />
            <ExportLinks
              href={exportHref(runId, 'per-class')}
              what="per-class accuracy"
              testId="export-per-class"
            />
          </>
        )}
      </section>

      <section className="card" id="confusion" data-testid="confusion">
        <h2>Confusion matrix</h2>
        {shownTask === undefined ? (
          <p className="empty">
            {oldNew.length === 0
              ? 'Shown once a task is evaluated.'
              : 'This run was evaluated before the evaluator kept its predictions: no confusion matrix.'}
          </p>
        ) : (
          <ConfusionViews runId={runId} views={views} task={shownTask} name={name} names={names} />
        )}
      </section>
    </>
  );
}

function ConfusionViews({
  runId,
  views,
  task,
  name,
  names,
}: {
  runId: string;
  views: ClassViews;
  task: number;
  name: (c: number) => string;
  names?: readonly string[];
}) {
  const confusion = confusionOf(views, task) ?? [];
  const byTask = taskConfusionOf(views, task) ?? [];
  const rowTotals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const taskTotals = byTask.map((row) => row.reduce((a, b) => a + b, 0));
  const last = views.predictedTasks.at(-1);
  return (
    <>
      <nav className="actions" aria-label="model of task" data-testid="confusion-tasks">
        <span className="muted">Model after task:</span>
        {views.predictedTasks.map((t) => (
          <Link
            key={t}
            href={`?confusion=${t}#confusion`}
            scroll={false}
            className={t === task ? 'pill current' : 'pill'}
            aria-current={t === task ? 'true' : undefined}
          >
            {t + 1}
            {t === last ? ' (final)' : ''}
          </Link>
        ))}
      </nav>
      <div className="grid2">
        <MatrixHeatmap
          title={`Model after task ${task + 1}: test images of each class (rows) by predicted class (columns)`}
          testId="confusion-heatmap"
          rowTitle="true class"
          colTitle="predicted class"
          rowLabels={confusion.map((_, c) => name(c))}
          colLabels={confusion.map((_, c) => name(c))}
          values={confusion}
          intensity={(v, i) => (rowTotals[i] ? v / rowTotals[i] : 0)}
          format={(v) => String(v)}
          describe={(i, j, v) =>
            `${v} of ${rowTotals[i]} test images of ${name(i)} (class ${i}) predicted as ${name(j)} (class ${j}) (${((100 * v) / (rowTotals[i] || 1)).toFixed(1)} %)`
          }
          legend={['0', 'all of the class’s images']}
          table={
            runTable('confusion', views, { task, names }) as Exclude<ReturnType<typeof runTable>, string>
          }
          tableDigits={0}
          skipZeros
        />
        <MatrixHeatmap
          title={`Model after task ${task + 1}, summed by task: right of the diagonal, old classes taken for newer ones`}
          testId="task-confusion-heatmap"
          rowTitle="true class of task"
          colTitle="predicted as a class of task"
          rowLabels={byTask.map((_, t) => String(t + 1))}
          colLabels={byTask.map((_, t) => String(t + 1))}
          values={byTask}
          intensity={(v, i) => (taskTotals[i] ? v / taskTotals[i] : 0)}
          format={(v) => String(v)}
          describe={(i, j, v) =>
            `${v} of ${taskTotals[i]} test images of task ${i + 1} predicted as a class of task ${j + 1}`
          }
          legend={['0', 'all of the task’s images']}
          table={
            runTable('confusion-by-task', views, { task }) as Exclude<ReturnType<typeof runTable>, string>
          }
          tableDigits={0}
        />
      </div>
      <ExportLinks
        href={exportHref(runId, 'confusion', task)}
        what={`the confusion matrix after task ${task + 1}`}
        testId="export-confusion"
      />
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
