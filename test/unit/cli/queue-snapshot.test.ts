import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSnapshot, SnapshotFileError, toSqsAttributes, writeSnapshot, type QueueSnapshot } from '../../../functions/local/queue-snapshot';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'snapshot-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('reads back what it wrote, attributes and pending backoff included', async () => {
  const snapshot: QueueSnapshot = {
    leads: [{ body: '{"id":"1"}', attributes: { seen_at: { DataType: 'String', StringValue: '2026-11-29T06:00:00.000Z' } }, hiddenUntil: 1_800_000_000_000 }],
    deadLetters: [{ body: '{"id":"2"}', attributes: { parked_reason: { DataType: 'String', StringValue: 'HTTP 400' }, bin: { DataType: 'Binary', BinaryValue: 'aGk=' } } }],
  };
  const file = join(dir, 'queues.json');
  await writeSnapshot(file, snapshot);
  expect(await readSnapshot(file)).toEqual(snapshot);
});

it('treats a missing file as empty queues', async () => {
  expect(await readSnapshot(join(dir, 'none.json'))).toEqual({ leads: [], deadLetters: [] });
});

it('refuses a damaged file with the way out, rather than starting with queues missing', async () => {
  const file = join(dir, 'queues.json');
  for (const text of ['{"format":1,"leads":[{"body":1}],"deadLetters":[]}', 'not json', '{"format":99,"leads":[],"deadLetters":[]}']) {
    await writeFile(file, text);
    await expect(readSnapshot(file)).rejects.toThrow(SnapshotFileError);
    await expect(readSnapshot(file)).rejects.toThrow(/move .* aside/);
  }
  expect(await readFile(file, 'utf8')).toContain('format');
});

it('turns saved attributes back into SDK attributes', () => {
  expect(toSqsAttributes({ a: { DataType: 'String', StringValue: 'x' }, b: { DataType: 'Binary', BinaryValue: 'aGk=' } })).toEqual({
    a: { DataType: 'String', StringValue: 'x' },
    b: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
  });
});
