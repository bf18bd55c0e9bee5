import { createRequire } from 'node:module';

/**
 * BLAKE3 of bytes: what names a file in a key and checks every restored copy of an output. The native
 * addon (@napi-rs/blake-hash's prebuilt builds, see NATIVE_BUILDS) where it loads, otherwise
 * blake3-wasm: the same digests either way, the addon several times faster (docs/decisions.md). Both are
 * loaded on first use and by name, so the wrapper's bundle keeps them out (scripts/build.mjs).
 */
export interface ContentHash {
  update(data: Uint8Array): void;
  /** Lower-case hex, 64 characters. */
  digest(): string;
}

export type Implementation = { create(): ContentHash; name: ContentHashName };
export type ContentHashName = 'native' | 'wasm';

type NativeModule = {
  Blake3Hasher: new () => { update(input: Uint8Array): unknown; digest(format: 'hex'): string };
};
type WasmModule = { createHash(): { update(data: Uint8Array): unknown; digest(encoding: 'hex'): string } };

let chosen: Implementation | undefined;

/**
 * The addon's prebuilt builds, which package.json names as optional dependencies: npm installs the one
 * that fits this machine. Only these two: the registry hoard's lockfile is made against has no other.
 */
const NATIVE_BUILDS: Readonly<Record<string, readonly string[]>> = {
  'linux-x64': ['@napi-rs/blake-hash-linux-x64-gnu', '@napi-rs/blake-hash-linux-x64-musl'],
};

/** The addon, or undefined where no build of it is installed for this platform or it does not load here. */
export function loadNative(): Implementation | undefined {
  const requireHere = createRequire(import.meta.url);
  for (const name of NATIVE_BUILDS[`${process.platform}-${process.arch}`] ?? []) {
    try {
      const { Blake3Hasher } = requireHere(name) as NativeModule;
      return {
        name: 'native',
        create() {
          const hasher = new Blake3Hasher();
          return { update: (data) => void hasher.update(data), digest: () => hasher.digest('hex') };
        },
      };
    } catch {
      // Not installed (the other libc's build), or it does not load here: the next, then wasm.
    }
  }
  return undefined;
}

export function loadWasm(): Implementation {
  const wasm = createRequire(import.meta.url)('blake3-wasm') as WasmModule;
  return {
    name: 'wasm',
    create() {
      const hasher = wasm.createHash();
      return { update: (data) => void hasher.update(data), digest: () => hasher.digest('hex') };
    },
  };
}

/** Throws only when neither implementation loads (a damaged install). */
function implementation(): Implementation {
  chosen ??= loadNative() ?? loadWasm();
  return chosen;
}

export function createContentHash(): ContentHash {
  return implementation().create();
}

/** The digest of bytes already in memory. */
export function contentDigest(data: Uint8Array): string {
  const hash = createContentHash();
  hash.update(data);
  return hash.digest();
}

/** Which implementation hashes in this process (for `hoard doctor`); 'missing' when neither loads (a damaged install). */
export function contentHashName(): ContentHashName | 'missing' {
  try {
    return implementation().name;
  } catch {
    return 'missing';
  }
}
