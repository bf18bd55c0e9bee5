/** "10G", "512MiB", "1.5 GB" or a plain number of bytes → bytes. Units are binary: 1G = 1024³ bytes. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.floor(text) : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) return undefined;
  const power = ' kmgt'.indexOf((match[2] || ' ').toLowerCase());
  return Math.floor(Number(match[1]) * 1024 ** power);
}

/** "10m", "30s", "1h", "7d", "500ms", "0" or a plain number of seconds → seconds. 0 means never. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[
    (match[2] ?? 's').toLowerCase() as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Number(match[1]) * factor;
}
