import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, manifestDigest, readManifestFile } from './manifest';

const CORPUS = join(__dirname, '..', 'test', 'manifests');
const EXPECTATIONS_FILE = 'expected-errors.json';
const expectedErrors = JSON.parse(readFileSync(join(CORPUS, 'not-ok', EXPECTATIONS_FILE), 'utf8')) as Record<
  string,
  string
>;
const notOk = readdirSync(join(CORPUS, 'not-ok'))
  .filter((f) => f.endsWith('.json') && f !== EXPECTATIONS_FILE)
  .sort();
const ok = readdirSync(join(CORPUS, 'ok'))
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('manifest corpus: not-ok', () => {
  it('has an expected error for every broken manifest, and a manifest for every expectation', () => {
    expect(notOk.length).toBeGreaterThan(0);
    expect(Object.keys(expectedErrors).sort()).toEqual(notOk);
  });

  it.each(notOk)('%s is rejected with the expected, located message', (file) => {
    let caught: unknown;
    try {
      readManifestFile(join(CORPUS, 'not-ok', file));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ManifestError);
    const message = (caught as ManifestError).message;
    expect(message.startsWith(`${file}: `)).toBe(true);
    expect(message).toContain(expectedErrors[file]);
  });
});

describe('manifest corpus: ok', () => {
  it.each(ok)('%s parses', (file) => {
    const manifest = readManifestFile(join(CORPUS, 'ok', file));
    expect(manifest.schema).toBe('slca.dataset/v1');
    expect(manifest.classes.length).toBeGreaterThan(0);
  });

  it('gives the same digest for the same content written with keys in another order', () => {
    const a = readManifestFile(join(CORPUS, 'ok', 'minimal.json'));
    const b = readManifestFile(join(CORPUS, 'ok', 'minimal-reordered-keys.json'));
    expect(manifestDigest(b)).toBe(manifestDigest(a));
    expect(manifestDigest(readManifestFile(join(CORPUS, 'ok', 'full.json')))).not.toBe(manifestDigest(a));
  });
});
