import { SingleBar, Presets } from 'cli-progress';
import type { ProgressEvent } from '@slca/engine';

/**
 * A terminal progress bar over a whole experiment: one unit per training step of every task, with the
 * current task, epoch, loss and learning rate, and A_t as each task is evaluated; a method's adapter
 * initialisation (SLCA++'s SVDs) is counted on its own line before the bar. When stderr is not a
 * terminal (CI, log files) the bar is printed as a line every 15 s and each A_t on its own line.
 */
export class ExperimentProgress {
  private bar?: SingleBar;

  constructor(private readonly label: string) {}

  update(e: ProgressEvent): void {
    if (e.phase === 'train') {
      const total = e.tasks * e.epochs * e.steps;
      const value = (e.task * e.epochs + e.epoch) * e.steps + e.step + 1;
      if (!this.bar) {
        this.bar = new SingleBar(
          {
            format: `${this.label} [{bar}] {percentage}% | task {task}/{tasks} epoch {epoch}/{epochs} | loss {loss} | lr {lr} | ETA {eta_formatted}`,
            stream: process.stderr,
            etaBuffer: 50,
            hideCursor: true,
            noTTYOutput: true,
            notTTYSchedule: 15_000,
          },
          Presets.shades_classic,
        );
        this.bar.start(total, 0, {
          task: e.task + 1,
          tasks: e.tasks,
          epoch: e.epoch + 1,
          epochs: e.epochs,
          loss: '-',
          lr: '-',
        });
      }
      this.bar?.setTotal(total);
      this.bar?.update(value, {
        task: e.task + 1,
        tasks: e.tasks,
        epoch: e.epoch + 1,
        epochs: e.epochs,
        loss: e.loss.toFixed(3),
        lr: e.lr.toExponential(1),
      });
    } else if (e.phase === 'adapters') {
      // Before the bar (the first task's training has not started): a line per part, one line on a terminal.
      const line = `${this.label}: task ${e.task + 1}/${e.tasks} initialising the method's adapters ${e.step + 1}/${e.steps}`;
      if (process.stderr.isTTY) process.stderr.write(`\r${line}${e.step + 1 === e.steps ? '\n' : ''}`);
      else process.stderr.write(`${line}\n`);
    } else if (e.phase === 'evaluate') {
      const line = `${this.label}: task ${e.task + 1}/${e.tasks} A_t = ${e.accuracy.toFixed(2)}%`;
      if (process.stderr.isTTY) this.bar?.update({ loss: `A_t ${e.accuracy.toFixed(1)}%` });
      else process.stderr.write(`${line}\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
