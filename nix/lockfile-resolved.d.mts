export function packageName(path: string, entry: { name?: string }): string;
export function tarballUrl(registry: string, name: string, version: string): string;
export function addResolved(lockText: string, registry: string): string;
