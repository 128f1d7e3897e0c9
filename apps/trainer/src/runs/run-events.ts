import type { RunEvent } from '@slca/contracts';

type Listener = (event: RunEvent) => void;

/** In-process fan-out of a run's events to its watchers. */
export class RunEvents {
  private readonly listeners = new Map<string, Set<Listener>>();

  subscribe(runId: string, listener: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }

  emit(runId: string, event: Omit<RunEvent, 'runId' | 'atMs'>): void {
    const full = { runId, atMs: Date.now(), ...event } as RunEvent;
    for (const l of this.listeners.get(runId) ?? []) l(full);
  }
}
