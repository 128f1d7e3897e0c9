import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetFileError, resolveDatasetFile, sha256File, verifyManifestFiles } from './dataset-files';
import type { DatasetManifest } from './manifest';

describe('resolveDatasetFile', () => {
  it('maps a package-relative path into the installed package', () => {
    const path = resolveDatasetFile('emoji-datasource-google/img/google/64/1f600.png');
    expect(path.endsWith(join('emoji-datasource-google', 'img', 'google', '64', '1f600.png'))).toBe(true);
    expect(existsSync(path)).toBe(true);
  });

  it('understands scoped package names', () => {
    const path = resolveDatasetFile('@types/node/package.json');
    expect(path.endsWith(join('@types', 'node', 'package.json'))).toBe(true);
    expect(existsSync(path)).toBe(true);
  });

  it.each([
    ['../etc/passwd', /not a package-relative path/],
    ['emoji-datasource-google/../x.png', /not a package-relative path/],
    ['emoji-datasource-google//x.png', /not a package-relative path/],
    ['emoji-datasource-google', /names a package but no file/],
    ['no-such-package-slca/x.png', /cannot resolve package "no-such-package-slca"/],
  ])('rejects %s, naming it', (file, reason) => {
    expect(() => resolveDatasetFile(file)).toThrow(DatasetFileError);
    expect(() => resolveDatasetFile(file)).toThrow(reason);
    expect(() => resolveDatasetFile(file)).toThrow(`${file}: `);
  });
});

describe('verifyManifestFiles', () => {
  function withFiles(run: (dir: string, manifest: DatasetManifest) => void): void {
    const dir = mkdtempSync(join(tmpdir(), 'slca-verify-'));
    try {
      writeFileSync(join(dir, 'a.bin'), 'alpha');
      writeFileSync(join(dir, 'b.bin'), 'beta');
      const manifest: DatasetManifest = {
        schema: 'slca.dataset/v1',
        name: 'files',
        classes: [{ id: 0, name: 'x' }],
        // printf alpha | sha256sum ; printf beta | sha256sum
        train: [
          {
            file: 'a.bin',
            label: 0,
            sha256: '8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8',
          },
        ],
        test: [
          {
            file: 'b.bin',
            label: 0,
            sha256: 'f44e64e75f3948e9f73f8dfa94721c4ce8cbb4f265c4790c702b2d41cfbf2753',
          },
        ],
      };
      run(dir, manifest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('hashes files as sha256sum does', () => {
    withFiles((dir) => {
      expect(sha256File(join(dir, 'a.bin'))).toBe(
        '8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8',
      );
    });
  });

  it('passes when every digest matches and names the first file that differs', () => {
    withFiles((dir, manifest) => {
      const resolve = (file: string): string => join(dir, file);
      expect(() => verifyManifestFiles(manifest, resolve)).not.toThrow();
      writeFileSync(join(dir, 'b.bin'), 'beta, edited');
      expect(() => verifyManifestFiles(manifest, resolve)).toThrow(
        /^b\.bin: sha256 mismatch: manifest records [0-9a-f]{64}, file has [0-9a-f]{64}$/,
      );
    });
  });

  it('names a missing file', () => {
    withFiles((dir, manifest) => {
      rmSync(join(dir, 'a.bin'));
      expect(() => verifyManifestFiles(manifest, (file) => join(dir, file))).toThrow(
        /^a\.bin: cannot read: .*ENOENT/,
      );
    });
  });
});
