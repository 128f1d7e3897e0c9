/**
 * A/B of onnxruntime's CPU memory options on the onnx device (SESSION_OPTIONS in onnx-forward.ts): the
 * arena (SLCA_ONNX_ARENA) and memory patterns (SLCA_ONNX_MEMPATTERN), each '1' or '0'. ViT-B/16 training
 * steps at batch 8 in 2 shards on 2 workers (random weights and images, gradients + their sum, no
 * optimizer), 2 warm-up steps then the median of 3, and the process's peak RSS. Each setting runs in a
 * fresh child process (the options are read when a session is made, and peak RSS is per process); rounds
 * alternate, so load on the machine hits every setting alike.
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/bench/src/onnx-session-ab.ts [rounds]
 */
import { execFileSync } from 'node:child_process';
import { initBackend, openComputeDevice, sharedFloat32 } from '@slca/compute';
import { BATCH, vitB16Step } from './vit-b16-step';

async function child(): Promise<void> {
  await initBackend('wasm');
  const { train, total, values, shards: drawShards } = vitB16Step();
  const shards = drawShards();
  const { device } = await openComputeDevice('onnx', 2, 'wasm');
  await device.setModel(train, values);
  const sum = sharedFloat32(total);
  const seconds: number[] = [];
  let losses: number[] = [];
  for (let k = 0; k < 5; k++) {
    const start = performance.now();
    losses = await device.gradientsAndSum(shards, [0.5, 0.5], sum);
    if (k >= 2) seconds.push((performance.now() - start) / 1000);
  }
  await device.close();
  seconds.sort((a, b) => a - b);
  // A digest of the gradient sum's bits, to show that both settings compute the same numbers.
  let digest = 0;
  const bits = new Uint32Array(sum.buffer, sum.byteOffset, sum.length);
  for (let i = 0; i < bits.length; i++) digest = (Math.imul(digest, 31) + bits[i]) >>> 0;
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ seconds: seconds[1], peakRssBytes, loss: losses[0], digest }));
}

/** The settings compared: the default first. */
const SETTINGS = [
  { arena: '1', memPattern: '0' },
  { arena: '1', memPattern: '1' },
  { arena: '0', memPattern: '0' },
] as const;

function main(): void {
  const rounds = Number(process.argv[2] ?? 2);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`onnx-session-ab: rounds must be an integer ≥ 1, got '${process.argv[2]}'`);
    process.exit(2);
  }
  const onOff = (v: string) => (v === '1' ? 'on ' : 'off');
  console.log('arena  mem pattern  s/step (median of 3)  img/s  peak RSS  loss, gradient digest');
  for (let r = 0; r < rounds; r++)
    for (const { arena, memPattern } of SETTINGS) {
      const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1], '--child'], {
        env: { ...process.env, SLCA_ONNX_ARENA: arena, SLCA_ONNX_MEMPATTERN: memPattern },
        encoding: 'utf8',
      });
      const { seconds, peakRssBytes, loss, digest } = JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
      console.log(
        `${onOff(arena)}    ${onOff(memPattern)}          ${seconds.toFixed(2).padStart(8)}                ${(BATCH / seconds).toFixed(2)}   ${(peakRssBytes / 1e9).toFixed(2)} GB   ${loss}, ${digest}`,
      );
    }
}

if (process.argv.includes('--child')) void child();
else main();
