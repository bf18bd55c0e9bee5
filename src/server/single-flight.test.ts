import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.js';

describe('SingleFlight', () => {
  it('lets one claimant hold a key and the others wait for it', async () => {
    const flight = new SingleFlight();
    const release = flight.claim('k');
    expect(release).toBeDefined();
    expect(flight.claim('k')).toBeUndefined();
    const waiting = flight.waitFor('k', 5000);
    release!();
    expect(await waiting).toBe(true);
    expect(flight.claim('k')).toBeDefined();
  });

  it('gives up waiting after the timeout', async () => {
    const flight = new SingleFlight();
    flight.claim('k');
    expect(await flight.waitFor('k', 20)).toBe(false);
  });
});
