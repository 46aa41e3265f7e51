import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, LeadForwarderError, MalformedMessageError } from '../../../../functions/shared/domain/errors';
import { TopApiError } from '../../../../functions/shared/taobao/errors';

const FUNCTIONS = path.resolve(__dirname, '..', '..', '..', '..', 'functions');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [file] : [];
  });
}

describe('error class names', () => {
  it('survive minification: every concrete error class names itself in a string', () => {
    const classes: string[] = [];
    for (const file of sourceFiles(FUNCTIONS)) {
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/^export (abstract )?class (\w+) extends \w*Error\b[^{]*\{([\s\S]*?)^\}/gm)) {
        if (match[1] !== undefined) continue;
        classes.push(match[2]!);
        expect({
          file: path.relative(FUNCTIONS, file),
          declares: new RegExp(`readonly name(: string)? = '${match[2]!}';`).test(match[3]!),
        }).toEqual({ file: path.relative(FUNCTIONS, file), declares: true });
      }
    }
    // Not vacuous: the scan finds the project's error classes.
    expect(classes).toEqual(expect.arrayContaining(['ConfigError', 'TopApiError', 'SecretUnavailableError', 'UsageError']));
  });

  it('show in the message line and the stack', () => {
    const error = new MalformedMessageError('not a lead');
    expect(error).toBeInstanceOf(LeadForwarderError);
    expect(String(error)).toBe('MalformedMessageError: not a lead');
    expect(error.stack?.split('\n')[0]).toBe('MalformedMessageError: not a lead');
    expect(new ConfigError(['x']).name).toBe('ConfigError');
    expect(new TopApiError('taobao.mama.crm.lead.list', { code: 7, msg: 'App Call Limited' }).name).toBe('TopApiError');
  });
});
