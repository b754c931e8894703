/**
 * A bench child process's own peak resident memory, in MB.
 */
import { readFileSync } from 'node:fs';

/**
 * VmHWM, the high-water mark of this process's own memory map (bench/peers/keras_train.py reads the same). Not
 * `process.resourceUsage().maxRSS`: Linux carries the RSS the parent had at fork over the exec, so a child of a large
 * bench process would read its parent's peak.
 *
 * @example
 * process.stdout.write(JSON.stringify({ value: peakRssMB() }));
 */
export function peakRssMB(): number {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (hwm === null) throw new Error('no VmHWM in /proc/self/status');
  return Number(hwm[1]) / 1024;
}
