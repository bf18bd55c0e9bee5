import { describe, expect, it } from 'vitest';
import { HISTORY_MINUTES, HitRateHistory, hitRatePerMinute } from './history.js';

describe('HitRateHistory', () => {
  it('counts hits and misses in the minute they happen', () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 10);
    const history = new HitRateHistory([], () => now);
    history.record('hit');
    history.record('hit');
    history.record('miss');
    now += 60_000;
    history.record('miss');
    expect(history.recent()).toEqual([
      { minute: Date.UTC(2026, 0, 1, 12, 0), hits: 2, misses: 1 },
      { minute: Date.UTC(2026, 0, 1, 12, 1), hits: 0, misses: 1 },
    ]);
  });

  it('forgets minutes older than an hour', () => {
    let now = Date.UTC(2026, 0, 1, 12, 0);
    const history = new HitRateHistory([], () => now);
    history.record('hit');
    now += HISTORY_MINUTES * 60_000;
    history.record('miss');
    expect(history.recent()).toEqual([{ minute: now, hits: 0, misses: 1 }]);
  });

  it('keeps valid saved points and drops the rest', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0);
    const history = new HitRateHistory([{ minute: now, hits: 3, misses: 1 }, { minute: 'x' }, null, 5], () => now);
    expect(history.recent()).toEqual([{ minute: now, hits: 3, misses: 1 }]);
    expect(new HitRateHistory('garbage', () => now).recent()).toEqual([]);
  });
});

describe('hitRatePerMinute', () => {
  it('gives one slot per minute, undefined where nothing was answered', () => {
    const now = Date.UTC(2026, 0, 1, 12, 3, 30);
    const points = [
      { minute: Date.UTC(2026, 0, 1, 12, 1), hits: 3, misses: 1 },
      { minute: Date.UTC(2026, 0, 1, 12, 3), hits: 0, misses: 2 },
    ];
    expect(hitRatePerMinute(points, now, 4)).toEqual([undefined, 0.75, undefined, 0]);
  });
});
