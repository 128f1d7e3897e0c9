import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NotFoundError, ObjectStoreError } from './errors';
import { type ObjectInfo, type ObjectStore, type PutOptions, validateKey, validatePrefix } from './store';

function storeError(operation: string, key: string, error: unknown): ObjectStoreError {
  const code = (error as NodeJS.ErrnoException).code;
  return new ObjectStoreError(
    code === 'EACCES' || code === 'EPERM' ? 'permission_denied' : 'internal',
    operation,
    key,
    code,
    {
      cause: error,
      detail: (error as Error).message,
    },
  );
}

/** Temporary files of unfinished writes: never listed, never visible as objects. */
const PARTIAL = '.partial-';

/**
 * An object store in a local folder, one file per key: what the CLI uses for its own registry (e.g. the
 * backbones a user registers for in-process runs), with the same layout and artifacts as the services'
 * S3 bucket. A write goes to a temporary file renamed into place, so a reader sees the old object, the
 * new one or none.
 */
export class FileObjectStore implements ObjectStore {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `folder ${root}`;
  }

  async put(key: string, body: Uint8Array, _options?: PutOptions): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const partial = join(dirname(path), `${PARTIAL}${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(partial, body);
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw storeError('put', key, error);
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      throw this.failure(key, error);
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    try {
      const info = await stat(this.path(key));
      if (!info.isFile()) throw new NotFoundError(key);
      return { key, size: info.size, lastModified: info.mtime };
    } catch (error) {
      throw this.failure(key, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.stat(key);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw storeError('list', prefix, error);
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() && !entry.name.startsWith(PARTIAL)) {
          const key = relative(this.root, path).split(sep).join('/');
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    // Only the folders that can hold keys with this prefix are walked.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(join(this.root, ...base.split('/').filter(Boolean)));
    return keys.sort();
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  private path(key: string): string {
    validateKey(key);
    return join(this.root, ...key.split('/'));
  }

  private failure(key: string, error: unknown): Error {
    if (error instanceof NotFoundError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return new NotFoundError(key);
    return storeError('get', key, error);
  }
}
