import { describe, expect, it } from 'vitest';
import { IdleWork } from './idle-work.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('IdleWork', () => {
  it('runs jobs one at a time, in order, only once requests pause', async () => {
    const work = new IdleWork(40, 10);
    const ran: string[] = [];
    let concurrent = 0;
    let most = 0;
    const job = (name: string) => async () => {
      concurrent += 1;
      most = Math.max(most, concurrent);
      await pause(5);
      ran.push(name);
      concurrent -= 1;
    };
    work.add(job('a'));
    work.add(job('b'));
    // Requests every 10 ms for 100 ms: nothing starts meanwhile.
    for (let tick = 0; tick < 10; tick += 1) {
      work.activity();
      await pause(10);
    }
    expect(ran).toEqual([]);
    await pause(150);
    expect(ran).toEqual(['a', 'b']);
    expect(most).toBe(1);
    expect(work.waiting).toBe(0);
  });

  it('drops jobs past its limit, and goes on after a job that fails', async () => {
    const work = new IdleWork(0, 2);
    const ran: string[] = [];
    expect(work.add(async () => Promise.reject(new Error('failed')))).toBe(true);
    expect(work.add(async () => void ran.push('second'))).toBe(true);
    expect(work.add(async () => void ran.push('third'))).toBe(false);
    await pause(50);
    expect(ran).toEqual(['second']);
  });
});
