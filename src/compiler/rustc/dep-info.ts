/**
 * What rustc's dep-info file says the crate read: its source files and the environment variables
 * consulted through env!/option_env! (`# env-dep:NAME=value`, or `# env-dep:NAME` when unset).
 */
export interface DepInfo {
  sources: string[];
  envDeps: Array<[name: string, value: string | null]>;
}

function unescapeEnvValue(value: string): string {
  return value.replace(/\\(n|r|\\)/g, (_, letter: string) => (letter === 'n' ? '\n' : letter === 'r' ? '\r' : '\\'));
}

function splitPaths(text: string): string[] {
  const paths: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index += 1) {
    const letter = text[index]!;
    if (letter === '\\' && text[index + 1] === ' ') {
      current += ' ';
      index += 1;
    } else if (letter === ' ') {
      if (current) paths.push(current);
      current = '';
    } else {
      current += letter;
    }
  }
  if (current) paths.push(current);
  return paths;
}

export function parseDepInfo(text: string): DepInfo {
  const sources = new Set<string>();
  const envDeps = new Map<string, string | null>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# env-dep:')) {
      const entry = line.slice('# env-dep:'.length);
      const equals = entry.indexOf('=');
      if (equals === -1) envDeps.set(entry, null);
      else envDeps.set(entry.slice(0, equals), unescapeEnvValue(entry.slice(equals + 1)));
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    // "target: dep dep" — the first target line lists every source; later "dep:" lines repeat them.
    const colon = line.search(/:(\s|$)/);
    if (colon === -1) continue;
    for (const path of splitPaths(line.slice(colon + 1))) sources.add(path);
  }
  return { sources: [...sources], envDeps: [...envDeps.entries()] };
}
