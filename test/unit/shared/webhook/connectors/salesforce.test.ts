import type { Lead } from '../../../../../functions/shared/domain/lead';
import { readUpsertAnswer } from '../../../../../functions/shared/webhook/connectors/salesforce/answer';
import {
  COMPANY_NOT_PROVIDED,
  defaultLeadFields,
  LEAD_FIELD_LENGTHS,
} from '../../../../../functions/shared/webhook/connectors/salesforce/mapping';

const lead: Lead = {
  id: '221985',
  name: '**三',
  mobile: '13800138000',
  mobile_encrypted: false,
  page_id: '5314456',
  page_name: '新半价2',
  store_name: '测试店铺名',
  location: 'xx省xx市xx县',
  lead_time: '2022-05-03T17:44:28+08:00',
  mm_src_cname: '淘积木其他',
  extend_list: [{ code: 'sex', label: '性别', value: '男' }],
};

describe('salesforce default mapping', () => {
  it('fills the required LastName and Company, the mobile, the source and a readable description', () => {
    expect(defaultLeadFields(lead)).toEqual({
      LastName: '**三',
      Company: COMPANY_NOT_PROVIDED,
      LeadSource: 'Web',
      MobilePhone: '13800138000',
      Description:
        'Alimama lead 221985\nPage: 新半价2 (5314456)\nStore: 测试店铺名\nLocation: xx省xx市xx县\nSubmitted: 2022-05-03T17:44:28+08:00\nChannel: 淘积木其他\n性别: 男',
    });
  });

  it('leaves the phone field out while the mobile is a ciphertext', () => {
    const fields = defaultLeadFields({ ...lead, mobile: 'Pci/6KXfAAAA', mobile_encrypted: true });
    expect(fields).not.toHaveProperty('MobilePhone');
    expect(JSON.stringify(fields)).not.toContain('Pci/6KXf');
  });

  it('leaves out a mobile longer than the field instead of cutting it into another number', () => {
    expect(defaultLeadFields({ ...lead, mobile: '1'.repeat(41) })).not.toHaveProperty('MobilePhone');
    expect(defaultLeadFields({ ...lead, mobile: '1'.repeat(40) }).MobilePhone).toHaveLength(40);
  });

  it('names a lead without a name after its id, since Salesforce requires LastName', () => {
    expect(defaultLeadFields({ id: '7' }).LastName).toBe('Alimama lead 7');
    expect(defaultLeadFields({ id: '7', name: '   ' }).LastName).toBe('Alimama lead 7');
    expect(defaultLeadFields({ id: '7' }).Description).toBe('Alimama lead 7');
  });

  it('clips long text to the field lengths in characters, never splitting one', () => {
    const fields = defaultLeadFields({ ...lead, name: '😀'.repeat(100), page_name: '页'.repeat(40_000) });
    expect([...fields.LastName!]).toHaveLength(LEAD_FIELD_LENGTHS.LastName);
    expect(fields.LastName).toBe('😀'.repeat(80));
    expect([...fields.Description!]).toHaveLength(LEAD_FIELD_LENGTHS.Description);
  });
});

describe('salesforce upsert answers', () => {
  it('reads a created record and an updated one', () => {
    expect(readUpsertAnswer(201, '{"id":"00Q5g000001","success":true,"errors":[],"created":true}')).toEqual({
      kind: 'delivered',
      recordId: '00Q5g000001',
      created: true,
    });
    expect(readUpsertAnswer(200, '{"id":"00Q5g000001","success":true,"errors":[],"created":false}')).toEqual({
      kind: 'delivered',
      recordId: '00Q5g000001',
      created: false,
    });
    expect(readUpsertAnswer(204, '')).toEqual({ kind: 'delivered', created: false });
  });

  it('asks for a new token on 401 INVALID_SESSION_ID', () => {
    expect(readUpsertAnswer(401, '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]')).toEqual({
      kind: 'reauthenticate',
      reason: 'Salesforce HTTP 401 INVALID_SESSION_ID: Session expired or invalid',
    });
  });

  it.each([
    [403, '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]', 'rate-limit'],
    [503, '<html>Service Unavailable</html>', 'vendor-error'],
    [500, '[{"message":"An unexpected error occurred.","errorCode":"UNKNOWN_EXCEPTION"}]', 'vendor-error'],
    [400, '[{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW"}]', 'vendor-error'],
  ])('retries HTTP %i later', (status, body, reasonClass) => {
    expect(readUpsertAnswer(status, body)).toMatchObject({ kind: 'retry', reasonClass });
  });

  it('rejects a refused field with the code, the message and the field', () => {
    expect(
      readUpsertAnswer(400, '[{"message":"No such column \'Score__c\' on sobject of type Lead","errorCode":"INVALID_FIELD"}]'),
    ).toEqual({
      kind: 'rejected',
      reasonClass: 'rejected-field',
      reason: "Salesforce HTTP 400 INVALID_FIELD: No such column 'Score__c' on sobject of type Lead",
    });
    expect(
      readUpsertAnswer(
        400,
        '[{"message":"Required fields are missing: [Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Company"]}]',
      ),
    ).toMatchObject({ reason: 'Salesforce HTTP 400 REQUIRED_FIELD_MISSING: Required fields are missing: [Company] [Company]' });
  });

  it('keeps the refused value out of the reason, where Salesforce quotes it', () => {
    const answer = readUpsertAnswer(
      400,
      '[{"message":"Mobile: data value too large: 13800138000138001380001380013800138000999 (max length=40)","errorCode":"STRING_TOO_LONG","fields":["MobilePhone"]}]',
    );
    expect(answer).toEqual({
      kind: 'rejected',
      reasonClass: 'rejected-field',
      reason: 'Salesforce HTTP 400 STRING_TOO_LONG: Mobile: data value too large (max length=40) [MobilePhone]',
    });
    const email = readUpsertAnswer(
      400,
      '[{"message":"Email: invalid email address: zhang@@x","errorCode":"INVALID_EMAIL_ADDRESS"}]',
    );
    expect(JSON.stringify(email)).not.toContain('zhang');
  });

  it('rejects a wrong external id field or API version (404) and a refused integration user (403) as configuration', () => {
    expect(readUpsertAnswer(404, '[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]')).toMatchObject({
      kind: 'rejected',
      reasonClass: 'config',
    });
    expect(
      readUpsertAnswer(403, '[{"message":"API is not enabled for this Organization","errorCode":"API_DISABLED_FOR_ORG"}]'),
    ).toMatchObject({ kind: 'rejected', reasonClass: 'auth' });
    expect(readUpsertAnswer(300, '[]')).toMatchObject({ kind: 'rejected', reasonClass: 'config' });
  });

  it('still classifies an answer whose body is not Salesforce JSON', () => {
    expect(readUpsertAnswer(400, 'Bad Request')).toEqual({
      kind: 'rejected',
      reasonClass: 'rejected-field',
      reason: 'Salesforce HTTP 400',
    });
    expect(readUpsertAnswer(502, '')).toMatchObject({ kind: 'retry', reasonClass: 'vendor-error' });
  });
});
