// Guards the wire format: `buf breaking` of libs/contracts against the previous commit (or BUF_AGAINST).
import { execFileSync, spawnSync } from 'node:child_process';

const against = process.env.BUF_AGAINST ?? 'HEAD~1';
const git = (...args) => spawnSync('git', args, { encoding: 'utf8' });

if (git('rev-parse', '--verify', '--quiet', `${against}^{commit}`).status !== 0) {
  console.log(`buf breaking: no commit ${against} to compare with (shallow clone or first commit); skipped`);
  process.exit(0);
}
if (git('cat-file', '-e', `${against}:libs/contracts/buf.yaml`).status !== 0) {
  console.log(`buf breaking: ${against} has no libs/contracts yet; nothing to compare`);
  process.exit(0);
}
const buf = new URL('../node_modules/.bin/buf', import.meta.url).pathname;
execFileSync(buf, ['breaking', 'libs/contracts', '--against', `.git#ref=${against},subdir=libs/contracts`], {
  stdio: 'inherit',
});
console.log(`buf breaking: libs/contracts is wire-compatible with ${against}`);
