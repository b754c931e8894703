/**
 * One benchmark case: percept's figure and each peer's, measured in the same run (never a bare time).
 * Cases are listed explicitly in bench/cases/index.ts.
 *
 * @example
 * export const decode96: BenchCase = {
 *   name: 'data/decode/96', unit: 'images/s', higherIsBetter: true,
 *   percept: async (ctx) => imagesPerSecond(...),
 *   peers: { keras: async (ctx) => runPythonPeer(ctx, 'decode.py', ['--size', '96']) },
 * };
 */
export interface BenchContext {
  /** Scratch folder for this case (fixtures, generated data), removed after the run unless --keep. */
  workDir: string;
  /** `.venv`'s python with the peers' packages, or undefined when the Python peers are unavailable. */
  python: string | undefined;
  /** `.venv-torch`'s python for the torch peer, or undefined when torch is not installed (`percept bench` never installs it). */
  torchPython: string | undefined;
  /** `quick` shrinks sizes/iterations for the harness's own test; `full` is the real measurement. */
  profile: 'quick' | 'full';
  log(line: string): void;
}

export interface BenchCase {
  name: string;
  /** Unit of every figure of the case, e.g. 'images/s', 'epochs/s'. */
  unit: string;
  /** True when a larger figure is better (throughput); ratios are always percept relative to the peer in that sense. */
  higherIsBetter: boolean;
  percept(context: BenchContext): Promise<number>;
  /** Peer name -> measurement, e.g. { keras, 'percept-js' }. */
  peers: Record<string, (context: BenchContext) => Promise<number>>;
}
