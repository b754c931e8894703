/**
 * Training progress in a notebook: one output area updated in place (a Jupyter display_id) with a bar, the current
 * batch's figures, the ETA and a table of finished epochs.
 */
import {
  formatDuration,
  formatLogs,
  terminalProgress,
  ProgressCallback,
  type ProgressEvent,
} from '../train/progress.ts';
import { DisplayHandle, escapeHtml, tableBundle, tslabWriter, type DisplayWriter, type MimeBundle } from './display.ts';

export interface NotebookProgressOptions {
  /** Where the display goes. Default: the running tslab kernel; outside one, the terminal renderer is returned. */
  writer?: DisplayWriter;
  /** Least milliseconds between two batch updates (each is a message to the browser). Epoch ends always show. Default 250. */
  minIntervalMs?: number;
}

function fractionDone(event: ProgressEvent): number {
  const withinEpoch = event.epochDone
    ? 1
    : event.batches === undefined || event.batches === 0
      ? 0
      : event.batch / event.batches;
  return Math.min(1, (event.epoch - 1 + withinEpoch) / event.epochs);
}

function statusLine(event: ProgressEvent): string {
  const batch = event.epochDone ? 'done' : `batch ${event.batch}/${event.batches ?? '?'}`;
  const eta = event.eta === undefined ? '' : ` · ETA ${formatDuration(event.eta)}`;
  return `epoch ${event.epoch}/${event.epochs} · ${batch} · ${formatLogs(event.logs)} · ${formatDuration(event.elapsed)}${eta}`;
}

/**
 * The bundle of the progress display after `event`, with `finished` the epoch-end events so far.
 *
 * @example
 * handle.show(progressBundle(event, epochEnds));
 */
export function progressBundle(event: ProgressEvent, finished: readonly ProgressEvent[]): MimeBundle {
  const percent = Math.round(fractionDone(event) * 100);
  const line = statusLine(event);
  const table = tableBundle(
    finished.map((done) => ({ epoch: done.epoch, ...done.logs, seconds: Math.round(done.elapsed) })),
  );
  const html = [
    '<div class="percept-progress">',
    `<progress value="${percent}" max="100" style="width:320px"></progress> <span>${percent}%</span>`,
    `<div style="font-family:monospace">${escapeHtml(line)}</div>`,
    finished.length > 0 ? table['text/html'] : '',
    '</div>',
  ].join('');
  return {
    'text/html': html,
    'text/plain': `${percent}% ${line}${finished.length > 0 ? `\n${String(table['text/plain'])}` : ''}`,
  };
}

/**
 * A training callback that shows progress in the notebook, updated in place; outside a kernel it is the terminal
 * renderer (`terminalProgress`). Pass it in the trainer's callbacks.
 *
 * @example
 * await train(config, { callbacks: [notebookProgress()] });
 */
export function notebookProgress(options: NotebookProgressOptions = {}): ProgressCallback {
  const writer = options.writer ?? tslabWriter();
  if (writer === undefined) return terminalProgress(process.stdout);
  const minInterval = options.minIntervalMs ?? 250;
  const handle = new DisplayHandle(writer);
  const finished: ProgressEvent[] = [];
  let lastShown = -Infinity;
  return new ProgressCallback((event) => {
    const now = performance.now();
    if (event.epochDone) finished.push(event);
    else if (now - lastShown < minInterval) return;
    lastShown = now;
    handle.show(progressBundle(event, finished));
  });
}
