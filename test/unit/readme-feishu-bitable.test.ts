import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SIMULATED_FIELDS } from '../../functions/local/simulators/feishu-bitable';
import { parseForwarderSettings } from '../../functions/shared/config/parse-settings';
import { bitableCodeMeaning } from '../../functions/shared/webhook/connectors/feishu-bitable-errors';
import { BITABLE_DEFAULT_COLUMNS } from '../../functions/shared/webhook/connectors/feishu-bitable-fields';
import { prepareDelivery } from '../../functions/shared/webhook/prepare';
import { sampleDelivery } from './shared/webhook/fixtures';

/** The README's Feishu Bitable section is what users follow: its columns, endpoint, `fields` example and code table must be true. */
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const start = README.indexOf('### Feishu Bitable');
const section = README.slice(start, README.indexOf('\n## ', start));

describe('README "Feishu Bitable"', () => {
  it('lists exactly the columns the default mapping writes, which the simulator holds', () => {
    const columns = [...section.matchAll(/^\| `([^`]+)` \| /gm)].map((match) => match[1]);
    expect(columns).toEqual(Object.values(BITABLE_DEFAULT_COLUMNS));
    expect(Object.keys(DEFAULT_SIMULATED_FIELDS)).toEqual(Object.values(BITABLE_DEFAULT_COLUMNS));
  });

  it('the endpoint to paste is a valid feishu-bitable endpoint', () => {
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    const [endpoint] = parseForwarderSettings({ webhooks: JSON.parse(json!) as unknown }).webhooks;
    expect(endpoint).toMatchObject({ name: 'bitable', format: 'feishu-bitable' });
    expect(endpoint!.connector?.target).toBe(
      'https://open.feishu.cn/open-apis/bitable/v1/apps/bascnAbCdEfGhIjKlMnOpQrStU/tables/tblAbCdEfGhIjKlM/records',
    );
  });

  it('the fields example yields the columns with the date in epoch milliseconds', async () => {
    const expression = /`"fields": "([^`]+)"`/.exec(section)?.[1];
    const [endpoint] = parseForwarderSettings({
      webhooks: [
        {
          name: 'b',
          format: 'feishu-bitable',
          appId: 'cli_x',
          appSecret: 's',
          appToken: 'bascnA',
          tableId: 'tblA',
          fields: expression,
        },
      ],
    }).webhooks;
    const prepared = await prepareDelivery(endpoint!, sampleDelivery());
    if (prepared.kind !== 'send') throw new Error(`expected a record, got ${prepared.kind}`);
    expect(prepared.delivery.fields).toEqual({
      客户: '**三',
      电话: '13800138000',
      日期: Date.parse('2022-05-03T17:44:28+08:00'),
      线索: '221985',
    });
  });

  it('says for each code what the connector does with it', () => {
    const rows = [...section.slice(section.indexOf('When it fails')).matchAll(/^\| ([^|]+) \| [^|]+ \| ([^|]+) \|$/gm)];
    expect(rows.length).toBeGreaterThan(5);
    for (const [, codes, action] of rows) {
      for (const code of codes!.match(/\d{5,}/g) ?? []) {
        const meaning = bitableCodeMeaning(Number(code));
        // Token-endpoint codes (10003…) are read by the token flow: a failed token is always a retry.
        if ([10003, 10014, 10015].includes(Number(code))) expect(action).toMatch(/^retries/);
        else if (meaning.kind === 'reauthenticate') expect(action).toMatch(/new token/);
        else if (meaning.kind === 'retry') expect(action).toMatch(/^retries later/);
        else expect(action).toMatch(/^parks/);
      }
    }
  });
});
