import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STORE_KEYS_FILE, storeKeys } from '../src/stack';

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'slca-keys-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the object store's keys in the stack's state folder", () => {
  it('are made once, readable by this user only, and the same on every later start', () => {
    const dir = fresh();
    const first = storeKeys(dir);
    expect(first.accessKey).toMatch(/^local-[0-9a-f]{16}$/);
    expect(first.secretKey.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(dir, STORE_KEYS_FILE)).mode & 0o777).toBe(0o600);
    expect(storeKeys(dir)).toEqual(first);
    expect(JSON.parse(readFileSync(join(dir, STORE_KEYS_FILE), 'utf8'))).toEqual(first);
  });

  it('differ between state folders', () => {
    expect(storeKeys(fresh())).not.toEqual(storeKeys(fresh()));
  });

  it('refuses a file that does not hold them, naming it, rather than starting with other keys', () => {
    const dir = fresh();
    writeFileSync(join(dir, STORE_KEYS_FILE), '{"accessKey":""}');
    expect(() => storeKeys(dir)).toThrow(
      `${join(dir, STORE_KEYS_FILE)} does not hold the object store's keys`,
    );
  });
});
