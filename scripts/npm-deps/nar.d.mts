export type NarNode =
  | { type: 'regular'; contents: Buffer; executable?: boolean }
  | { type: 'symlink'; target: string }
  | { type: 'directory'; entries: Map<string, NarNode> };
export function narHash(node: NarNode): string;
export function readTree(path: string): NarNode;
