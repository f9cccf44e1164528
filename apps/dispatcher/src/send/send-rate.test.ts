import { describe, expect, it } from 'vitest';
import { bulkPermitChunk, effectiveSendRate, slowDown } from './send-rate.js';

const RECOVERY = 60_000;

describe('effectiveSendRate', () => {
  it('is the configured rate until WeChat slows the app down', () => {
    expect(effectiveSendRate(500, undefined, 1_000, RECOVERY)).toBe(500);
  });

  it('climbs back linearly from the cut rate to the configured one', () => {
    const slowdown = { reducedTo: 100, at: 0 };
    expect(effectiveSendRate(500, slowdown, 0, RECOVERY)).toBe(100);
    expect(effectiveSendRate(500, slowdown, RECOVERY / 2, RECOVERY)).toBe(300);
    expect(effectiveSendRate(500, slowdown, RECOVERY, RECOVERY)).toBe(500);
    expect(effectiveSendRate(500, slowdown, 10 * RECOVERY, RECOVERY)).toBe(500);
  });

  it('never answers less than one message a second', () => {
    expect(effectiveSendRate(1, { reducedTo: 1, at: 0 }, 0, RECOVERY)).toBe(1);
  });
});

describe('slowDown', () => {
  it('halves the configured rate on a first 45011, to climb back from when the pause ends', () => {
    expect(slowDown(500, undefined, 5_000, 60_000, RECOVERY)).toEqual({ reducedTo: 250, at: 60_000 });
  });

  it('halves the rate the app has at that moment on a later one', () => {
    const first = slowDown(400, undefined, 0, 0, RECOVERY);
    expect(first.reducedTo).toBe(200);
    // half-way recovered: 300/s, halved to 150
    expect(slowDown(400, first, RECOVERY / 2, RECOVERY / 2, RECOVERY)).toEqual({
      reducedTo: 150,
      at: RECOVERY / 2,
    });
  });

  it('counts the 45011s of one pause once: calls in flight answered the same overload', () => {
    const first = slowDown(400, undefined, 1_000, 60_000, RECOVERY);
    expect(slowDown(400, first, 1_200, 60_000, RECOVERY)).toBe(first);
    expect(slowDown(400, first, 60_000, 120_000, RECOVERY).reducedTo).toBe(100);
  });

  it('stops at one message a second', () => {
    expect(slowDown(1, undefined, 0, 0, RECOVERY).reducedTo).toBe(1);
  });
});

describe('bulkPermitChunk', () => {
  it('asks for a twentieth of a second of sends, between 1 and 50', () => {
    expect(bulkPermitChunk(20)).toBe(1);
    expect(bulkPermitChunk(500)).toBe(25);
    expect(bulkPermitChunk(100_000)).toBe(50);
    expect(bulkPermitChunk(1)).toBe(1);
  });
});
