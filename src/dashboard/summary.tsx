import { Box, Text } from 'ink';
import { formatDuration } from '../stats/format-units.js';
import type { HitRatePoint } from '../protocol/messages.js';
import { hitRate, sumOf, type Counters } from '../stats/counters.js';
import { REASON_HINTS } from '../stats/format.js';
import { hitRatePerMinute } from '../stats/history.js';
import { percent, sparkline } from './glyphs.js';

export function Totals({ counters, width }: { counters: Counters; width: number }) {
  const parts = [
    `${counters.hits} hits`,
    `${counters.misses} misses`,
    percent(hitRate(counters)),
    `${sumOf(counters.notCacheable)} not cached`,
    `${counters.requests} requests`,
    `saved ${formatDuration(counters.timeSavedMs)}`,
  ];
  const errors = sumOf(counters.errors);
  if (errors > 0) parts.push(`${errors} errors`);
  return (
    <Box width={width}>
      <Text wrap="truncate-end">
        <Text bold>total </Text>
        {parts.join(' · ')}
      </Text>
    </Box>
  );
}

/** Hits out of requests for each kind of compile, most requested first: which kinds the cache serves. */
export function ByKind({ counters, width }: { counters: Counters; width: number }) {
  const kinds = Object.entries(counters.byKind).sort(([, a], [, b]) => b.requests - a.requests);
  if (kinds.length === 0) return null;
  return (
    <Box width={width}>
      <Text wrap="truncate-end">
        <Text bold>hits by kind </Text>
        {kinds.map(([kind, tally]) => `${kind} ${tally.hits}/${tally.requests}`).join(' · ')}
      </Text>
    </Box>
  );
}

/** The most frequent reasons compiles were not cached, each with what to do about it. */
export function Reasons({ counters, width, limit }: { counters: Counters; width: number; limit: number }) {
  const reasons = Object.entries(counters.notCacheable)
    .sort(([, a], [, b]) => b - a)
    .slice(0, limit);
  if (reasons.length === 0) return null;
  const nameWidth = Math.max(...reasons.map(([reason, count]) => reason.length + String(count).length + 1));
  return (
    <Box flexDirection="column" width={width}>
      {reasons.map(([reason, count]) => (
        <Text key={reason} wrap="truncate-end">
          {`not cached: ${`${reason} ${count}`.padEnd(nameWidth)}  `}
          <Text dimColor>{REASON_HINTS[reason] ?? ''}</Text>
        </Text>
      ))}
    </Box>
  );
}

/** Hit rate per minute: a dot is a minute with nothing answered, not a 0 % one. */
export function HitRateSparkline({ history, now, width }: { history: HitRatePoint[]; now: number; width: number }) {
  const title = 'hit rate/min ';
  const minutes = Math.max(5, Math.min(60, width - title.length - 8));
  const slots = hitRatePerMinute(history, now, minutes);
  const latest = [...slots].reverse().find((rate) => rate !== undefined);
  return (
    <Box width={width}>
      <Text wrap="truncate-end">
        <Text bold>{title}</Text>
        {sparkline(slots)} {latest === undefined ? '' : percent(latest)}
      </Text>
    </Box>
  );
}
