import { describe, expect, it } from 'vitest';
import { jobserverDescriptors, stdioWithJobserver } from './jobserver.js';

describe('jobserver descriptors', () => {
  it("reads cargo's pipe from CARGO_MAKEFLAGS, in both spellings", () => {
    expect(jobserverDescriptors({ CARGO_MAKEFLAGS: '-j --jobserver-fds=6,7 --jobserver-auth=6,7' })).toEqual([6, 7]);
    expect(jobserverDescriptors({ MAKEFLAGS: ' -j4 --jobserver-auth=3,4' })).toEqual([3, 4]);
  });

  it('needs nothing for a fifo jobserver or none at all', () => {
    expect(jobserverDescriptors({ CARGO_MAKEFLAGS: '-j --jobserver-auth=fifo:/tmp/GMfifo1' })).toEqual([]);
    expect(jobserverDescriptors({})).toEqual([]);
  });

  it('hands the descriptors to the child under their own numbers', () => {
    const stdio = stdioWithJobserver(
      ['inherit', 'pipe', 'pipe'],
      { CARGO_MAKEFLAGS: '--jobserver-fds=6,7' },
      () => true,
    );
    expect(stdio).toEqual(['inherit', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 6, 7]);
  });

  it('leaves out descriptors that are not open, so the spawn cannot fail on them', () => {
    expect(
      stdioWithJobserver(['inherit', 'inherit', 'inherit'], { CARGO_MAKEFLAGS: '--jobserver-fds=6,7' }, () => false),
    ).toEqual(['inherit', 'inherit', 'inherit']);
  });
});
