import { setTimeout as sleep } from 'node:timers/promises';
import { WriteLanes } from '../../../../../functions/shared/webhook/connectors/write-lanes';

describe('WriteLanes', () => {
  it('runs the writes of one lane one at a time, in order, and other lanes alongside', async () => {
    const lanes = new WriteLanes();
    const log: string[] = [];
    let inA = 0;
    let mostInA = 0;
    const write = (lane: string, name: string, ms: number) =>
      lanes.run(lane, async () => {
        if (lane === 'a') mostInA = Math.max(mostInA, ++inA);
        log.push(`start ${name}`);
        await sleep(ms);
        log.push(`end ${name}`);
        if (lane === 'a') inA -= 1;
        return name;
      });
    const results = await Promise.all([write('a', 'a1', 20), write('a', 'a2', 1), write('b', 'b1', 1), write('a', 'a3', 1)]);
    expect(results).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(mostInA).toBe(1);
    expect(log.filter((l) => l.endsWith('a1') || l.endsWith('a2') || l.endsWith('a3'))).toEqual([
      'start a1',
      'end a1',
      'start a2',
      'end a2',
      'start a3',
      'end a3',
    ]);
    // b1 did not wait for lane a.
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
    expect(lanes.busy).toBe(0);
  });

  it('a failed write rejects its own caller only; the next in the lane still runs', async () => {
    const lanes = new WriteLanes();
    const failed = lanes.run('a', () => Promise.reject(new Error('refused')));
    const next = lanes.run('a', () => Promise.resolve('ok'));
    await expect(failed).rejects.toThrow('refused');
    await expect(next).resolves.toBe('ok');
    expect(lanes.busy).toBe(0);
  });
});
