import type { ObjectStore } from '@slca/artifacts';
import type { DependencyCheck } from '@slca/service-kit';

/** Inject with `@Inject(OBJECT_STORE)`: the store every artifact of the platform lives in. */
export const OBJECT_STORE = Symbol('slca.splitter.object-store');

/** A HEAD on a key nobody writes: cheap, signed, and it fails when the store or its credentials do. */
export function objectStoreHealth(store: ObjectStore, timeoutMs = 2_000): DependencyCheck {
  return { name: 'object-store', timeoutMs, check: () => store.exists('health/splitter-probe') };
}
