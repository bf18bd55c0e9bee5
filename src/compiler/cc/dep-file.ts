/**
 * The files a gcc/clang dependency file (-MD) lists: make rules whose lines continue with a
 * backslash, paths with escaped spaces. Targets are left out; -MP's empty rules add nothing.
 */
export function parseDepFile(text: string): string[] {
  const files = new Set<string>();
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const line of joined.split('\n')) {
    const colon = line.search(/:(\s|$)/);
    if (colon === -1) continue;
    const prerequisites = line
      .slice(colon + 1)
      .replace(/\\ /g, '\0')
      .split(/\s+/)
      .filter(Boolean);
    for (const path of prerequisites) files.add(path.replace(/\0/g, ' ').replace(/\$\$/g, '$'));
  }
  return [...files];
}
