import { NotFoundError } from './errors';
import { type ObjectInfo, type ObjectStore, type PutOptions, validateKey, validatePrefix } from './store';

/** An in-process store for unit tests of code above the store; copies bytes in and out, as a network would. */
export class MemoryObjectStore implements ObjectStore {
  readonly description = 'memory';
  private readonly objects = new Map<string, { body: Buffer; lastModified: Date }>();

  async put(key: string, body: Uint8Array, _options?: PutOptions): Promise<void> {
    validateKey(key);
    this.objects.set(key, { body: Buffer.from(body), lastModified: new Date() });
  }

  async get(key: string): Promise<Buffer> {
    return Buffer.from(this.entry(key).body);
  }

  async stat(key: string): Promise<ObjectInfo> {
    const { body, lastModified } = this.entry(key);
    return { key, size: body.length, lastModified };
  }

  async exists(key: string): Promise<boolean> {
    validateKey(key);
    return this.objects.has(key);
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async remove(key: string): Promise<void> {
    validateKey(key);
    this.objects.delete(key);
  }

  private entry(key: string): { body: Buffer; lastModified: Date } {
    validateKey(key);
    const entry = this.objects.get(key);
    if (entry === undefined) throw new NotFoundError(key);
    return entry;
  }
}
