export const REGISTRY: string;
export function checksumText(crateDir: string): string;
export function crateDirs(registry?: string): string[];
export function staleCrates(registry?: string): string[];
