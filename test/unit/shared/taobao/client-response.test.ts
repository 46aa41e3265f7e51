import { interpretResponse, responseKey } from '../../../../functions/shared/taobao/client';
import { TopApiError, TopProtocolError, TopResultError, TopTransportError } from '../../../../functions/shared/taobao/errors';

const METHOD = 'taobao.mama.crm.lead.list';
const ok = (text: string, simplify = false) => interpretResponse(METHOD, { status: 200, text }, simplify);

describe('interpretResponse', () => {
  it('names the response object after the method', () => {
    expect(responseKey(METHOD)).toBe('mama_crm_lead_list_response');
    expect(responseKey('alibaba.foo.bar')).toBe('alibaba_foo_bar_response');
  });

  it('unwraps `<api>_response` and keeps big ids exact', () => {
    const result = ok(
      '{"mama_crm_lead_list_response":{"result_data":{"result":[{"id":9007199254740993}]},"result_ok":true,"request_id":"abc"}}',
    );
    expect(result).toEqual({
      body: { result_data: { result: [{ id: '9007199254740993' }] }, result_ok: true, request_id: 'abc' },
      requestId: 'abc',
    });
  });

  it('reads fields at the root when simplify=true, and still accepts the wrapped shape', () => {
    expect(ok('{"result_data":[],"result_ok":true,"request_id":"r"}', true).body).toEqual({
      result_data: [],
      result_ok: true,
      request_id: 'r',
    });
    expect(ok('{"mama_crm_lead_list_response":{"result_ok":true}}', true).body).toEqual({ result_ok: true });
  });

  it('refuses a JSON body without the response object instead of reading it as an empty page', () => {
    expect(() => ok('{}')).toThrow(TopProtocolError);
    expect(() => ok('[]', true)).toThrow(TopProtocolError);
  });

  it('turns error_response into TopApiError with a numeric code', () => {
    const call = () =>
      ok('{"error_response":{"code":"27","msg":"Invalid session","sub_code":"invalid-sessionkey","request_id":"q"}}');
    expect(call).toThrow(TopApiError);
    expect(call).toThrow(/TOP error 27 \(session expired\)/);
    try {
      call();
    } catch (error) {
      expect(error).toMatchObject({ code: 27, subCode: 'invalid-sessionkey', requestId: 'q', retryable: false });
    }
  });

  it('turns result_ok: false into a retryable TopResultError', () => {
    expect(() => ok('{"mama_crm_lead_list_response":{"result_ok":false,"result_error_code":"E1","error_msg":"忙"}}')).toThrow(
      TopResultError,
    );
  });

  it('treats non-2xx and non-JSON bodies as transport errors', () => {
    expect(() => interpretResponse(METHOD, { status: 502, text: '<html>502</html>' }, false)).toThrow(TopTransportError);
    expect(() => interpretResponse(METHOD, { status: 200, text: '<html>oops</html>' }, false)).toThrow(
      /not JSON \(<html>oops<\/html>\)/,
    );
    expect(() => interpretResponse(METHOD, { status: 301, location: 'https://x/', text: '' }, false)).toThrow(
      /redirects are not followed/,
    );
  });
});
