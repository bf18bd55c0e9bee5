import { readFileSync, statSync } from 'node:fs';
import { fileIdentity } from './file-identity.js';

/**
 * Small JSON files read on every cache hit (manifests, entry descriptions), parsed and validated once
 * per version of the file: a later read costs one stat. The files are replaced whole (renamed into
 * place), so a new version always has a new identity.
 */
export class ParsedFiles<T> {
  private readonly known = new Map<string, { identity: string; value: T }>();

  constructor(
    /** Parses and validates a file's text; throws when the file is not what it should be. */
    private readonly parse: (text: string) => T,
    private readonly maxFiles = 20_000,
  ) {}

  /** The file's parsed value, or undefined when it does not exist. Parse errors are thrown. */
  async read(path: string): Promise<{ value: T; modifiedMs: number } | undefined> {
    const info = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (!info) return undefined;
    const identity = fileIdentity(info);
    const modifiedMs = Number(info.mtimeNs / 1_000_000n);
    const known = this.known.get(path);
    if (known?.identity === identity) return { value: known.value, modifiedMs };
    let text: string;
    try {
      // Synchronous: a file of a few kilobytes, most likely in the page cache, costs microseconds to
      // read, where an asynchronous read makes four trips through the thread pool while the hit waits.
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const value = this.parse(text);
    if (this.known.size >= this.maxFiles) this.known.clear();
    this.known.set(path, { identity, value });
    return { value, modifiedMs };
  }

  /**
   * Takes a file this process has just written as read, from the text it wrote: the first read after
   * a store (the next build's hit, usually) then costs one stat instead of a read and a parse. Skipped
   * when the file there is not that text's size (replaced meanwhile) or the text does not parse.
   */
  remember(path: string, text: string): void {
    const info = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (!info || info.size !== BigInt(Buffer.byteLength(text))) return;
    let value: T;
    try {
      value = this.parse(text);
    } catch {
      return;
    }
    if (this.known.size >= this.maxFiles) this.known.clear();
    this.known.set(path, { identity: fileIdentity(info), value });
  }

  forget(path: string): void {
    this.known.delete(path);
  }
}
