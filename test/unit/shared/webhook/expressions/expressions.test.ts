import {
  compileExpression,
  EXPRESSION_TIMEOUT_MS,
  ExpressionSyntaxError,
} from '../../../../../functions/shared/webhook/expressions/compile';
import { evaluateExpression, ExpressionEvaluationError } from '../../../../../functions/shared/webhook/expressions/evaluate';
import { standardPayload } from '../../../../../functions/shared/webhook/standard-payload';
import { sampleDelivery, sampleLead } from '../fixtures';

const payload = standardPayload(sampleDelivery());
const bindings = { webhookId: 'lead_221985' };
const run = (source: string, input = payload) =>
  evaluateExpression(compileExpression(source), input, bindings, 'webhooks "crm".body');

async function failure(source: string): Promise<ExpressionEvaluationError> {
  const error: unknown = await run(source).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ExpressionEvaluationError))
    throw new Error(`expected an ExpressionEvaluationError, got ${String(error)}`);
  return error;
}

describe('JSONata expressions', () => {
  it('read the Standard payload, with $webhookId bound', async () => {
    await expect(
      run('{"id": data.id, "page": data.page_name, "hook": $webhookId, "type": type, "seen": timestamp}'),
    ).resolves.toEqual({
      id: '221985',
      page: '新半价2',
      hook: 'lead_221985',
      type: 'lead.created',
      seen: '2026-11-29T06:00:00.000Z',
    });
    await expect(run("data.page_id in ['5314456', '5320001']")).resolves.toBe(true);
    await expect(run('test = true', standardPayload(sampleDelivery({ test: true })))).resolves.toBe(true);
  });

  it('keep an id beyond 2^53 and Chinese text as they are', async () => {
    const input = standardPayload(sampleDelivery({ lead: sampleLead({ id: '9007199254740993123', name: '张三' }) }));
    await expect(run('{"id": data.id, "name": data.name}', input)).resolves.toEqual({ id: '9007199254740993123', name: '张三' });
  });

  it('give plain JSON data back: sequences as arrays, nothing as undefined', async () => {
    const list = await run('data.extend_list.value');
    expect(list).toEqual('男');
    const many = await run('[data.extend_list.label, "x"]');
    expect(many).toEqual(['性别', 'x']);
    expect(Object.keys(many as object)).toEqual(['0', '1']); // no jsonata `sequence` marker left on it
    await expect(run('data.no_such_field')).resolves.toBeUndefined();
  });

  it('refuse one that does not compile, saying where', () => {
    expect(() => compileExpression("data.page_id in ['1'")).toThrow(ExpressionSyntaxError);
    try {
      compileExpression("data.page_id in ['1'");
    } catch (error) {
      expect(error).toMatchObject({ code: 'S0203', name: 'ExpressionSyntaxError' });
      expect((error as Error).message).toMatch(/JSONata S0203 at character \d+/);
    }
  });

  it('stop an endless recursion with a named error instead of hanging', async () => {
    const started = Date.now();
    const error = await failure('($f := function($x){$f($x)}; $f(1))');
    expect(Date.now() - started).toBeLessThan(EXPRESSION_TIMEOUT_MS + 2_000);
    expect(error.name).toBe('ExpressionEvaluationError');
    expect(['D1011', 'D1012']).toContain(error.code);
    expect(error.message).toMatch(/^webhooks "crm"\.body (recursed deeper than|ran longer than)/);
  });

  it('stop a recursion that grows the stack, and an endless loop, each by its own bound', async () => {
    expect((await failure('($f := function($x){$f($x) + 1}; $f(1))')).message).toMatch(/recursed deeper than 500 levels/);
    expect((await failure('($loop := function($i){ $i < 1e15 ? $loop($i + 1) : $i }; $loop(0))')).message).toMatch(
      /ran longer than 250 ms/,
    );
    // A bounded recursion that real templates might use still works.
    await expect(run('($f := function($n){ $n > 0 ? $f($n - 1) + 1 : 0 }; $f(100))')).resolves.toBe(100);
  });

  it('never quote the lead in the message of a failure; jsonata’s own words stay in detail', async () => {
    const input = standardPayload(sampleDelivery({ lead: sampleLead({ name: '张三' }) }));
    const error: unknown = await run('$error("no page for " & data.name)', input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExpressionEvaluationError);
    const failed = error as ExpressionEvaluationError;
    expect(failed.message).toBe('webhooks "crm".body $error() was called at character 7 (error)');
    expect(failed.message).not.toContain('张三');
    expect(failed.detail).toContain('张三');
    const typed = await failure('{data.name: 1}.x + {"k": [data.name]}');
    expect(typed.message).not.toContain('张三');
    expect(typed.message).not.toContain('**三');
  });
});
