import { Box, Text } from 'ink';
import { formatBytes, formatDuration } from '../stats/format-units.js';
import { shortPath } from '../stats/format.js';
import { truncateStart } from './glyphs.js';
import type { LiveView } from './live-view.js';
import { RemoteLines } from './remote-lines.js';

export interface HeaderProps {
  view: LiveView;
  now: number;
  width: number;
  color: boolean;
  home?: string | undefined;
}

function serverLine(view: LiveView, now: number): { text: string; tone: 'green' | 'yellow' | 'red' } {
  const server = view.snapshot?.server;
  if (view.connection === 'live' && server?.running) {
    const uptime = (server.uptimeMs ?? 0) + Math.max(0, now - view.receivedAt);
    const facts = `pid ${server.pid} · ${server.version} · up ${formatDuration(uptime)}`;
    if (view.stopping) return { text: `server stopping (${view.stopping}) · ${facts}`, tone: 'yellow' };
    return { text: `server running · ${facts}`, tone: 'green' };
  }
  if (view.connection === 'connecting') return { text: 'server: connecting…', tone: 'yellow' };
  return { text: 'server not running · showing saved statistics', tone: 'red' };
}

/** The file is on the same line already: "<file>:3: key: …" reads as "line 3: key: …". */
export function problemWithoutFile(problem: string, file: string): string {
  return problem.startsWith(`${file}:`) ? `line ${problem.slice(file.length + 1).trimStart()}` : problem;
}

/** Server state, cache directory and size, config file: the three things asked first. */
export function Header({ view, now, width, color, home }: HeaderProps) {
  const server = serverLine(view, now);
  const cache = view.snapshot?.cache;
  // The share of the limit matters once it is noticeable; "(0 %)" only takes room in a narrow pane.
  const share = cache && cache.limitBytes > 0 ? Math.round((cache.sizeBytes / cache.limitBytes) * 100) : 0;
  const used = share >= 1 ? ` (${share} %)` : '';
  const cacheLine = cache
    ? `${formatBytes(cache.sizeBytes)} of ${formatBytes(cache.limitBytes)}${used} · ${cache.entries} entries · `
    : '';
  const cacheDir = cache ? shortPath(cache.dir, home) : '';
  const config = view.config;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold>hoard </Text>
        <Text bold color={color ? server.tone : undefined}>
          {server.text}
        </Text>
      </Text>
      <Text wrap="truncate-end">
        cache {cacheLine}
        {truncateStart(cacheDir, Math.max(8, width - 6 - cacheLine.length))}
      </Text>
      <RemoteLines
        remotes={view.snapshot?.remotes}
        counters={view.snapshot?.counters}
        uploadQueue={view.snapshot?.cache.uploadQueue}
        now={now}
        color={color}
      />
      {config && (
        <Text wrap="truncate-end">
          config {truncateStart(shortPath(config.file, home), Math.max(8, width - 7))}
          {config.problem && (
            <Text color={color ? 'red' : undefined}>
              {' '}
              NOT IN USE: {problemWithoutFile(config.problem, config.file)}
            </Text>
          )}
        </Text>
      )}
      {view.note && (
        <Text wrap="truncate-end" color={color ? 'yellow' : undefined}>
          {view.note}
        </Text>
      )}
    </Box>
  );
}
