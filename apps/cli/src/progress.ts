import { SingleBar, Presets } from 'cli-progress';
import type { ProgressEvent } from '@slca/engine';

/**
 * A terminal progress bar over a whole experiment: one unit per training step of every task, with the
 * current phase, task, epoch, loss and learning rate. Quiet when stderr is not a terminal (CI logs get
 * one line per task instead).
 */
export class ExperimentProgress {
  private bar?: SingleBar;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly label: string) {}

  update(e: ProgressEvent): void {
    if (e.phase === 'train') {
      const total = e.tasks * e.epochs * e.steps;
      const value = (e.task * e.epochs + e.epoch) * e.steps + e.step + 1;
      if (!this.bar && this.tty) {
        this.bar = new SingleBar(
          {
            format: `${this.label} [{bar}] {percentage}% | task {task}/{tasks} epoch {epoch}/{epochs} | loss {loss} | lr {lr} | ETA {eta_formatted}`,
            stream: process.stderr,
            etaBuffer: 50,
            hideCursor: true,
          },
          Presets.shades_classic,
        );
        this.bar.start(total, 0);
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
    } else if (e.phase === 'evaluate') {
      const line = `${this.label}: task ${e.task + 1}/${e.tasks} A_t = ${e.accuracy.toFixed(2)}%`;
      if (this.bar) this.bar.update({ loss: `A_t ${e.accuracy.toFixed(1)}%` });
      else process.stderr.write(`${line}\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
