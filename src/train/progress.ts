/**
 * Training progress: a callback that turns hooks into `ProgressEvent`s with an ETA, which a notebook display or the
 * terminal renders. On a TTY the terminal shows one bar updated in place; otherwise (CI, pipes) one line per epoch,
 * since bars print nothing useful there (npkgz/cli-progress#25).
 */
import { Callback, type Logs, type TrainingContext } from './callbacks.ts';

export interface ProgressEvent {
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** 1-based batch within the epoch; equals `batches` at the epoch's end. */
  batch: number;
  batches: number | undefined;
  /** True once per epoch, after validation. */
  epochDone: boolean;
  logs: Logs;
  /** Seconds since this process started training. */
  elapsed: number;
  /** Seconds left for all epochs, undefined until one batch has been timed. */
  eta: number | undefined;
}

/**
 * Calls `listener` after every batch and every epoch (the hook for notebook displays).
 *
 * @example
 * new ProgressCallback((event) => display.update(`${event.epoch}/${event.epochs} loss ${event.logs.loss}`));
 */
export class ProgressCallback extends Callback {
  private start = 0;
  private epoch = 0;
  private startEpoch = 0;
  private batchesDone = 0;

  constructor(private readonly listener: (event: ProgressEvent) => void) {
    super();
  }

  override async onTrainBegin(): Promise<void> {
    this.start = performance.now();
    this.batchesDone = 0;
    this.startEpoch = -1;
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
    if (this.startEpoch < 0) this.startEpoch = epoch;
  }

  override async onBatchEnd(batch: number, logs: Logs, context: TrainingContext): Promise<void> {
    this.batchesDone++;
    this.emit(batch + 1, false, logs, context);
  }

  override async onEpochEnd(epoch: number, logs: Logs, context: TrainingContext): Promise<void> {
    this.emit(context.batchesPerEpoch ?? 0, true, logs, context, epoch + 1 - this.startEpoch);
  }

  private emit(batch: number, epochDone: boolean, logs: Logs, context: TrainingContext, epochsDone?: number): void {
    const elapsed = (performance.now() - this.start) / 1000;
    let eta: number | undefined;
    if (epochDone && epochsDone !== undefined) {
      eta = (elapsed / epochsDone) * (context.epochs - this.epoch - 1);
    } else if (context.batchesPerEpoch !== undefined && this.batchesDone > 0) {
      const left = (context.epochs - this.epoch) * context.batchesPerEpoch - batch;
      eta = (elapsed / this.batchesDone) * left;
    }
    this.listener({
      epoch: this.epoch + 1,
      epochs: context.epochs,
      batch,
      batches: context.batchesPerEpoch,
      epochDone,
      logs,
      elapsed,
      eta,
    });
  }
}

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** `loss 0.4123 acc 0.8125 val_loss ...` with 4 significant decimals. */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([key, value]) => `${key} ${key === 'lr' ? value.toExponential(2) : value.toFixed(4)}`)
    .join(' ');
}

/**
 * The progress line renderer for a terminal stream: a bar redrawn in place on a TTY, one line per epoch otherwise.
 *
 * @example
 * const progress = terminalProgress(process.stdout); // pass it in the trainer's callbacks
 */
export function terminalProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stdout,
): ProgressCallback {
  const tty = stream.isTTY === true;
  return new ProgressCallback((event) => {
    const eta = event.eta === undefined ? '' : ` ETA ${formatDuration(event.eta)}`;
    const head = `epoch ${event.epoch}/${event.epochs}`;
    if (event.epochDone) {
      stream.write(
        `${tty ? '\r\x1b[K' : ''}${head} ${formatLogs(event.logs)} (${formatDuration(event.elapsed)}${eta})\n`,
      );
      return;
    }
    if (!tty) return;
    const width = 24;
    const fraction = event.batches === undefined ? 0 : event.batch / event.batches;
    const filled = Math.round(fraction * width);
    const bar = `[${'='.repeat(filled)}${' '.repeat(width - filled)}]`;
    const line = `${head} ${bar} ${event.batch}/${event.batches ?? '?'} loss ${event.logs['loss']?.toFixed(4) ?? '-'}${eta}`;
    stream.write(`\r\x1b[K${line.slice(0, (stream.columns ?? 120) - 1)}`);
  });
}

/** Progress of work counted in items (images predicted, batches of a rate search), with an ETA. */
export interface CountEvent {
  done: number;
  total: number;
  /** Seconds since the first count. */
  elapsed: number;
  /** Seconds left at the rate so far; undefined before anything is done. */
  eta: number | undefined;
}

/**
 * A counter that calls `listener` with the progress each time `advance` adds finished items.
 *
 * @example
 * const advance = countProgress(images.length, (event) => show(`${event.done}/${event.total}`));
 * advance(batch.length);
 */
export function countProgress(total: number, listener: (event: CountEvent) => void): (items: number) => void {
  const start = performance.now();
  let done = 0;
  return (items) => {
    done += items;
    const elapsed = (performance.now() - start) / 1000;
    listener({ done, total, elapsed, eta: done > 0 ? (elapsed / done) * Math.max(0, total - done) : undefined });
  };
}

/** `predicting 120/5000 (2%) 4s ETA 2m41s`. */
export function formatCount(label: string, event: CountEvent): string {
  const percent = event.total > 0 ? Math.floor((100 * event.done) / event.total) : 100;
  const eta = event.eta === undefined || event.done >= event.total ? '' : ` ETA ${formatDuration(event.eta)}`;
  return `${label} ${event.done}/${event.total} (${percent}%) ${formatDuration(event.elapsed)}${eta}`;
}

/**
 * `countProgress` rendered on a terminal stream: one line redrawn in place on a TTY; elsewhere (CI, pipes) a line
 * at each tenth of the work and at the end.
 *
 * @example
 * const advance = terminalCountProgress('predicting', files.length, process.stderr);
 */
export function terminalCountProgress(
  label: string,
  total: number,
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): (items: number) => void {
  const tty = stream.isTTY === true;
  let lastTenth = 0;
  return countProgress(total, (event) => {
    const finished = event.done >= total;
    if (tty) {
      stream.write(`\r\x1b[K${formatCount(label, event)}${finished ? '\n' : ''}`);
      return;
    }
    const tenth = total > 0 ? Math.floor((10 * event.done) / total) : 10;
    if (tenth === lastTenth && !finished) return;
    lastTenth = tenth;
    stream.write(`${formatCount(label, event)}\n`);
  });
}

/**
 * A trainer callback that counts batches into a `countProgress`-style counter (for work measured in batches, such as
 * the learning-rate range test).
 *
 * @example
 * callbacks: [batchCounter(terminalCountProgress('lr-find batches', 100))]
 */
export function batchCounter(advance: (items: number) => void): Callback {
  return new (class extends Callback {
    override async onBatchEnd(): Promise<void> {
      advance(1);
    }
  })();
}
