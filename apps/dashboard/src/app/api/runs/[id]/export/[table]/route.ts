import { sessionOr401 } from '../../../../../../server/auth';
import { evaluator, ServiceCallError, splitter, trainer } from '../../../../../../server/grpc';
import { download, isExportFormat, renderTable } from '../../../../../../lib/export';
import { isRunTable, runTable, RUN_TABLES } from '../../../../../../lib/run-views';
import { loadViews } from '../../../../../runs/[id]/load-views';

const CAPTIONS: Record<string, string> = {
  matrix: 'Accuracy matrix R (%): row i after training task i, column j the test images of task j',
  summary: 'Stability and plasticity',
  'old-new': 'Old- vs new-class accuracy after each task (%)',
  'per-class': 'Per-class accuracy after each task (%)',
  confusion: 'Confusion matrix (rows: true class, columns: predicted class)',
  'confusion-by-task': 'Confusion summed by task (rows: true task, columns: predicted task)',
};

function failure(message: string, status: number): Response {
  return Response.json({ error: message }, { status });
}

/**
 * Downloads one of a run's tables (`matrix`, `summary`, `old-new`, `per-class`, `confusion`,
 * `confusion-by-task`; `?task=` picks the model of a confusion matrix, 0-based, default the last) as
 * `?format=csv|json|md|tex`, or `run` as JSON: the run's record, its metrics and every view.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; table: string }> }) {
  const session = await sessionOr401();
  if (session instanceof Response) return session;
  const { id, table } = await params;
  const query = new URL(request.url).searchParams;
  const format = query.get('format') ?? 'csv';
  if (!isExportFormat(format)) return failure('format must be one of csv, json, md, tex', 400);
  if (table !== 'run' && !isRunTable(table))
    return failure(`table must be one of run, ${RUN_TABLES.join(', ')}`, 400);
  const taskText = query.get('task');
  const task = taskText === null ? undefined : Number(taskText);
  if (task !== undefined && (!Number.isInteger(task) || task < 0))
    return failure('task must be an integer ≥ 0 (0 = the first task)', 400);

  try {
    const run = await trainer.getRun(id);
    if (!run) return failure(`no run ${id}`, 404);
    const metrics = await evaluator.runMetrics(id).catch((error: unknown) => {
      if (error instanceof ServiceCallError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    });
    const split = run.splitId ? await splitter.getSplit(run.splitId) : undefined;
    const { views, names } = await loadViews(run, metrics, split);
    if (table === 'run') {
      if (format !== 'json') return failure('the whole run exports as JSON only (format=json)', 400);
      const body = {
        run,
        metrics: metrics ?? null,
        split: split ?? null,
        classNames: names ?? null,
        views: {
          oldNew: views.oldNew,
          stabilityPlasticity: views.summary ?? null,
          summary: views.summaryText ?? null,
          perClass: views.perClass ? { tasks: views.predictedTasks, accuracy: views.perClass } : null,
        },
      };
      return download(`${JSON.stringify(body, null, 2)}\n`, 'json', `${id}_run`);
    }
    const result = runTable(table, views, { accuracies: run.accuracies, names, task });
    if (typeof result === 'string') return failure(`run ${id}: ${result}`, 404);
    const confusionTask = table === 'confusion' || table === 'confusion-by-task' ? task : undefined;
    const suffix = confusionTask === undefined ? '' : `_task${confusionTask + 1}`;
    return download(
      renderTable(result, format, {
        caption: `${CAPTIONS[table]}, run ${id}${confusionTask === undefined ? '' : `, model after task ${confusionTask + 1}`}`,
        label: `tab:${id.replace(/[^A-Za-z0-9:_.-]/g, '-')}-${table}`,
      }),
      format,
      `${id}_${table}${suffix}`,
    );
  } catch (error) {
    if (error instanceof ServiceCallError)
      return failure(error.message, error.code === 'NOT_FOUND' ? 404 : 502);
    throw error;
  }
}
