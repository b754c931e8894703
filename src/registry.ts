import { UserError } from './errors.ts';

/**
 * An explicit, ordered name -> entry table (docs/ARCHITECTURE.md §6): architectures, metrics and plots use it.
 * Registering a name twice throws; `get()` of an unknown name throws a message listing the valid ones.
 *
 * @example
 * const plots = new Registry<PlotSpec>('plot', [{ name: 'loss', ... }]);
 * plots.get('loss');
 */
export class Registry<T extends { name: string; aliases?: readonly string[] }> {
  private readonly byName = new Map<string, T>();
  private readonly entries: T[] = [];

  constructor(
    /** What the entries are, in the user's words ('architecture', 'metric'), used in error messages. */
    readonly kind: string,
    entries: readonly T[] = [],
  ) {
    for (const entry of entries) this.register(entry);
  }

  register(entry: T): void {
    for (const key of [entry.name, ...(entry.aliases ?? [])]) {
      if (this.byName.has(key)) throw new Error(`${this.kind} '${key}' is registered twice`);
      this.byName.set(key, entry);
    }
    this.entries.push(entry);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): T {
    const entry = this.byName.get(name);
    if (entry === undefined) {
      throw new UserError(`unknown ${this.kind} '${name}'. Valid: ${this.names().join(', ')}`);
    }
    return entry;
  }

  /** Canonical names in registration order (aliases left out). */
  names(): string[] {
    return this.entries.map((entry) => entry.name);
  }

  all(): readonly T[] {
    return this.entries;
  }
}
