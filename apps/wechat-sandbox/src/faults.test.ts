import { describe, expect, it } from 'vitest';
import { FaultList } from './faults.js';

function sequence(...values: number[]): () => number {
  let index = 0;
  return () => values[index++] ?? 0;
}

describe('FaultList', () => {
  it('applies a fault to the next `times` matching calls only', () => {
    const faults = new FaultList();
    faults.add({ endpoint: 'token', errcode: -1, times: 2 });
    const always = () => 0;
    expect(faults.nextEffect('subscribe_send', always)).toBeUndefined();
    expect(faults.nextEffect('token', always)?.errcode).toBe(-1);
    expect(faults.nextEffect('token', always)?.errcode).toBe(-1);
    expect(faults.nextEffect('token', always)).toBeUndefined();
    expect(faults.list()).toHaveLength(0);
  });

  it('fires with its probability and counts calls whether it fired or not', () => {
    const faults = new FaultList();
    faults.add({ endpoint: '*', httpStatus: 502, probability: 0.5, times: 3 });
    const random = sequence(0.9, 0.1, 0.7, 0.1);
    expect(faults.nextEffect('token', random)).toBeUndefined();
    expect(faults.nextEffect('template_send', random)?.httpStatus).toBe(502);
    expect(faults.nextEffect('token', random)).toBeUndefined();
    expect(faults.nextEffect('token', random)).toBeUndefined();
  });

  it("leaves subscribe_delivery to faults that name it: '*' means every call, and a delivery is none", () => {
    const faults = new FaultList();
    faults.add({ endpoint: '*', errcode: -1, times: 1 });
    const always = () => 0;
    expect(faults.nextEffect('subscribe_delivery', always)).toBeUndefined();
    expect(faults.list()).toHaveLength(1);
    faults.add({ endpoint: 'subscribe_delivery', times: 1 });
    expect(faults.nextEffect('subscribe_delivery', always)).toMatchObject({ errcode: undefined });
    expect(faults.nextEffect('subscribe_send', always)?.errcode).toBe(-1);
  });

  it('lets the oldest firing fault decide and keeps faults without times until cleared', () => {
    const faults = new FaultList();
    faults.add({ endpoint: 'subscribe_send', delayMs: 50 });
    faults.add({ endpoint: '*', errcode: 45011 });
    const always = () => 0;
    expect(faults.nextEffect('subscribe_send', always)).toMatchObject({ delayMs: 50, errcode: undefined });
    expect(faults.nextEffect('token', always)).toMatchObject({ errcode: 45011 });
    expect(faults.list()).toHaveLength(2);
    faults.clear();
    expect(faults.nextEffect('token', always)).toBeUndefined();
  });
});
