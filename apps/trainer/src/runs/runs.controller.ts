import { Controller, Inject } from '@nestjs/common';
import {
  TrainerServiceControllerMethods,
  type CancelRunRequest,
  type CancelRunResponse,
  type GetCatalogResponse,
  type GetRunArtifactsRequest,
  type GetRunArtifactsResponse,
  type GetRunRequest,
  type GetRunResponse,
  type ListRunsRequest,
  type ListRunsResponse,
  type ResumeRunRequest,
  type ResumeRunResponse,
  type StartRunRequest,
  type StartRunResponse,
  type TrainerServiceController,
  type UpdateRunRequest,
  type UpdateRunResponse,
  type DeleteRunRequest,
  type DeleteRunResponse,
  type WatchRunRequest,
  type WatchRunResponse,
} from '@slca/contracts';
import { runIdProblem } from '@slca/engine';
import { invalidArgument } from '@slca/service-kit';
import { Observable } from 'rxjs';
import { catalogResponse } from '../catalog/catalog';
import { RunSpecError } from '../execution/run-spec';
import { RunManager } from './run-manager';
import { parseRunQuery, RunQueryError } from './run-query';
import { TERMINAL, toRun } from './run-record';

export const RUN_MANAGER = Symbol('run-manager');

/**
 * A run id from a request, checked here so that a refusal names the request's field (`id`, with the
 * x-invalid-field trailer), not the name the object layout gives it inside the code (`runId`).
 */
function requireId(id: string, field = 'id'): string {
  if (!id) throw invalidArgument(field, 'is required');
  const problem = runIdProblem(id);
  if (problem) throw invalidArgument(field, problem);
  return id;
}

@Controller()
@TrainerServiceControllerMethods()
export class RunsController implements TrainerServiceController {
  constructor(@Inject(RUN_MANAGER) private readonly runs: RunManager) {}

  async startRun(request: StartRunRequest): Promise<StartRunResponse> {
    try {
      return { run: await this.runs.start(request) };
    } catch (e) {
      if (e instanceof RunSpecError) throw invalidArgument(e.field, e.message.slice(e.field.length + 2));
      throw e;
    }
  }

  async getCatalog(): Promise<GetCatalogResponse> {
    return catalogResponse();
  }

  async getRun(request: GetRunRequest): Promise<GetRunResponse> {
    return { run: toRun(await this.runs.find(requireId(request.id))) };
  }

  async updateRun(request: UpdateRunRequest): Promise<UpdateRunResponse> {
    const id = requireId(request.id);
    return {
      run: await this.runs.update(id, {
        tags: request.tags?.tags,
        notes: request.notes,
        archived: request.archived,
      }),
    };
  }

  async deleteRun(request: DeleteRunRequest): Promise<DeleteRunResponse> {
    return { removedObjects: await this.runs.delete(requireId(request.id)) };
  }

  async listRuns(request: ListRunsRequest): Promise<ListRunsResponse> {
    let matches: ReturnType<typeof parseRunQuery>;
    try {
      matches = parseRunQuery(request.query);
    } catch (e) {
      if (e instanceof RunQueryError) throw invalidArgument('query', e.message);
      throw e;
    }
    return { runs: (await this.runs.list()).filter(matches).map(toRun) };
  }

  watchRun(request: WatchRunRequest): Observable<WatchRunResponse> {
    const id = requireId(request.id);
    return new Observable<WatchRunResponse>((subscriber) => {
      let unsubscribe = () => undefined as void;
      this.runs
        .find(id)
        .then((record) => {
          subscriber.next({ event: { runId: id, atMs: Date.now(), state: toRun(record) } });
          if (TERMINAL.has(record.status)) return subscriber.complete();
          unsubscribe = this.runs.events.subscribe(id, (event) => {
            subscriber.next({ event });
            if (event.state && TERMINAL.has(event.state.status)) subscriber.complete();
          });
        })
        .catch((e: unknown) => subscriber.error(e));
      return () => unsubscribe();
    });
  }

  async cancelRun(request: CancelRunRequest): Promise<CancelRunResponse> {
    return { run: await this.runs.cancel(requireId(request.id)) };
  }

  async resumeRun(request: ResumeRunRequest): Promise<ResumeRunResponse> {
    return { run: await this.runs.resume(requireId(request.id)) };
  }

  async getRunArtifacts(request: GetRunArtifactsRequest): Promise<GetRunArtifactsResponse> {
    const id = requireId(request.id);
    const objects = await this.runs.artifacts(id);
    return { artifacts: { runId: id, objects } };
  }
}
