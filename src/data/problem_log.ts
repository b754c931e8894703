/**
 * The items a run skipped (unreadable images, malformed annotations), collected once per file from every stage that
 * reads data (opening, verifying, decoding batches), for the run's problems.json and the report.
 */
import type { Problem } from './types.ts';

/** Items skipped while reading or decoding, once per file. */
export class ProblemLog {
  private readonly byFile = new Map<string, string>();

  add(problems: readonly Problem[]): void {
    for (const problem of problems) if (!this.byFile.has(problem.file)) this.byFile.set(problem.file, problem.reason);
  }

  list(): Problem[] {
    return [...this.byFile].map(([file, reason]) => ({ file, reason }));
  }
}
