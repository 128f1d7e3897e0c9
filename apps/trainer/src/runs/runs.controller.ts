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
import type { Metadata } from '@grpc/grpc-js';
import { actingUser, invalidArgument, type ActingUser, type HasAuthContext } from '@slca/service-kit';
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

/**
 * Who a changing call acts for. Nest hands a gRPC handler the request, its metadata and the call; the
 * call's client certificate names the identity, and only the `dashboard` identity may name a user and
 * role in the metadata (see `actingUser`); every other identity acts as itself.
 */
function actorOf(metadata: Metadata | undefined, call: HasAuthContext | undefined): ActingUser {
  if (!call) throw new Error('a gRPC handler was called without its call (Nest passes it third)');
  return actingUser(call, metadata);
}

@Controller()
@TrainerServiceControllerMethods()
export class RunsController implements TrainerServiceController {
  constructor(@Inject(RUN_MANAGER) private readonly runs: RunManager) {}

  async startRun(
    request: StartRunRequest,
    metadata?: Metadata,
    call?: HasAuthContext,
  ): Promise<StartRunResponse> {
    const actor = actorOf(metadata, call);
    try {
      return { run: await this.runs.start(request, actor) };
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

  async updateRun(
    request: UpdateRunRequest,
    metadata?: Metadata,
    call?: HasAuthContext,
  ): Promise<UpdateRunResponse> {
    const id = requireId(request.id);
    const change = { tags: request.tags?.tags, notes: request.notes, archived: request.archived };
    return { run: await this.runs.update(id, change, actorOf(metadata, call)) };
  }

  async deleteRun(
    request: DeleteRunRequest,
    metadata?: Metadata,
    call?: HasAuthContext,
  ): Promise<DeleteRunResponse> {
    return { removedObjects: await this.runs.delete(requireId(request.id), actorOf(metadata, call)) };
  }

  async listRuns(request: ListRunsRequest): Promise<ListRunsResponse> {
    let matches: ReturnType<typeof parseRunQuery>;
    try {
      matches = parseRunQuery(request.query);
    } catch (e) {
      if (e instanceof RunQueryError) throw invalidArgument('query', e.message);
      throw e;
    }
    // The audit log is GetRun's: a list of every run carries none.
    return { runs: (await this.runs.list()).filter(matches).map((r) => ({ ...toRun(r), auditLog: [] })) };
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

  async cancelRun(
    request: CancelRunRequest,
    metadata?: Metadata,
    call?: HasAuthContext,
  ): Promise<CancelRunResponse> {
    return { run: await this.runs.cancel(requireId(request.id), actorOf(metadata, call)) };
  }

  async resumeRun(
    request: ResumeRunRequest,
    metadata?: Metadata,
    call?: HasAuthContext,
  ): Promise<ResumeRunResponse> {
    return { run: await this.runs.resume(requireId(request.id), actorOf(metadata, call)) };
  }

  async getRunArtifacts(request: GetRunArtifactsRequest): Promise<GetRunArtifactsResponse> {
    const id = requireId(request.id);
    const objects = await this.runs.artifacts(id);
    return { artifacts: { runId: id, objects } };
  }
}
