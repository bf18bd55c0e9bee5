// Nix's archive format (NAR), written straight into a hash: what `nix hash path` and a fixed-output
// derivation with outputHashMode = "recursive" hash. Only what a fetched npm cache holds is needed:
// directories and regular files (symlinks too, for checking against real trees).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {{ type: 'regular', contents: Buffer, executable?: boolean }
 *   | { type: 'symlink', target: string }
 *   | { type: 'directory', entries: Map<string, NarNode> }} NarNode
 */

const PADDING = Buffer.alloc(8);

function writeString(hash, value) {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  hash.update(length);
  hash.update(bytes);
  const pad = (8 - (bytes.length % 8)) % 8;
  if (pad) hash.update(PADDING.subarray(0, pad));
}

function writeNode(hash, node) {
  writeString(hash, '(');
  writeString(hash, 'type');
  if (node.type === 'regular') {
    writeString(hash, 'regular');
    if (node.executable) {
      writeString(hash, 'executable');
      writeString(hash, '');
    }
    writeString(hash, 'contents');
    writeString(hash, node.contents);
  } else if (node.type === 'symlink') {
    writeString(hash, 'symlink');
    writeString(hash, 'target');
    writeString(hash, node.target);
  } else {
    writeString(hash, 'directory');
    // Nix orders entries by the bytes of their names.
    const names = [...node.entries.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      writeString(hash, 'entry');
      writeString(hash, '(');
      writeString(hash, 'name');
      writeString(hash, name);
      writeString(hash, 'node');
      writeNode(hash, node.entries.get(name));
      writeString(hash, ')');
    }
  }
  writeString(hash, ')');
}

/** The SRI sha256 of the NAR serialisation of `node`, as Nix prints it. */
export function narHash(node) {
  const hash = createHash('sha256');
  writeString(hash, 'nix-archive-1');
  writeNode(hash, node);
  return `sha256-${hash.digest('base64')}`;
}

/** Reads a tree from disk into NAR nodes (for comparing with `nix hash path`). */
export function readTree(path) {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return { type: 'symlink', target: readlinkSync(path) };
  if (stat.isDirectory()) {
    return { type: 'directory', entries: new Map(readdirSync(path).map((name) => [name, readTree(join(path, name))])) };
  }
  return { type: 'regular', contents: readFileSync(path), executable: (stat.mode & 0o100) !== 0 };
}
