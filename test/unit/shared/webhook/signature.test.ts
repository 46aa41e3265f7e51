import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  MIN_SECRET_BYTES,
  SIGNATURE_TOLERANCE_SECONDS,
  SigningInputError,
  WebhookSecretError,
  parseWebhookSecret,
  sign,
  validateWebhookSecret,
  verify,
} from '../../../../functions/shared/webhook/signature';

const newSecret = (bytes = 32): string => `whsec_${randomBytes(bytes).toString('base64')}`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('webhook secrets', () => {
  it('accepts a whsec_ secret of 24 to 64 bytes, with or without base64 padding', () => {
    expect(validateWebhookSecret(newSecret(24))).toBeUndefined();
    expect(validateWebhookSecret(newSecret(64))).toBeUndefined();
    expect(validateWebhookSecret(newSecret(32).replace(/=+$/, ''))).toBeUndefined();
    expect(parseWebhookSecret(`whsec_${Buffer.alloc(32, 7).toString('base64')}`)).toEqual(Buffer.alloc(32, 7));
  });

  it.each([
    ['no prefix', randomBytes(32).toString('base64')],
    ['not base64', 'whsec_not*base64!'],
    ['too short', newSecret(MIN_SECRET_BYTES - 1)],
    ['too long', newSecret(65)],
    ['empty', 'whsec_'],
  ])('rejects a secret with %s, without echoing it', (_case, secret) => {
    const problem = validateWebhookSecret(secret);
    expect(problem).toEqual(expect.any(String));
    expect(() => parseWebhookSecret(secret)).toThrow(WebhookSecretError);
    try {
      parseWebhookSecret(secret);
    } catch (error) {
      const text = `${String(error)} ${(error as Error).stack ?? ''}`;
      if (secret.length > 'whsec_'.length) expect(text).not.toContain(secret.slice('whsec_'.length));
    }
  });
});

describe('sign', () => {
  // Expected value computed independently with OpenSSL:
  //   printf 'lead_221985.1764396000.{"type":"lead.created"}' \
  //     | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1e1f -binary | base64
  it('matches an HMAC-SHA256 computed with openssl', () => {
    const secret = `whsec_${Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex').toString('base64')}`;
    expect(sign('lead_221985', 1764396000, '{"type":"lead.created"}', [secret])).toBe(
      'v1,QQAOtDWYtV/WnJfzRhSHRBx+wSYAXpHZd2vdGzLCyQw=',
    );
  });

  it('verifies with the standardwebhooks library', () => {
    const secret = newSecret();
    const body = JSON.stringify({ type: 'lead.created', data: { id: '1', name: '张三' } });
    const ts = nowSeconds();
    const headers = {
      'webhook-id': 'lead_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': sign('lead_1', ts, body, [secret]),
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with every secret while rotating, and each secret alone verifies', () => {
    const [current, previous] = [newSecret(), newSecret(24)];
    const body = '{"type":"lead.created"}';
    const ts = nowSeconds();
    const header = sign('lead_2', ts, body, [current, previous]);
    expect(header.split(' ')).toHaveLength(2);
    for (const secret of [current, previous]) {
      expect(() =>
        new Webhook(secret).verify(body, {
          'webhook-id': 'lead_2',
          'webhook-timestamp': String(ts),
          'webhook-signature': header,
        }),
      ).not.toThrow();
    }
    expect(() =>
      new Webhook(newSecret()).verify(body, {
        'webhook-id': 'lead_2',
        'webhook-timestamp': String(ts),
        'webhook-signature': header,
      }),
    ).toThrow();
  });

  it('refuses ids with a dot, fractional timestamps and an empty secret list', () => {
    const secret = newSecret();
    expect(() => sign('lead.1', 1, '{}', [secret])).toThrow(SigningInputError);
    expect(() => sign('lead_1', 1.5, '{}', [secret])).toThrow(SigningInputError);
    expect(() => sign('lead_1', 1, '{}', [])).toThrow(SigningInputError);
  });
});

describe('verify', () => {
  const secret = newSecret();
  const body = '{"type":"lead.created","data":{"id":"7"}}';
  const signed = (ts: number, payload = body, secrets = [secret]) => ({
    headers: {
      'Webhook-Id': 'lead_7',
      'Webhook-Timestamp': String(ts),
      'Webhook-Signature': sign('lead_7', ts, payload, secrets),
    },
    body,
  });

  it('accepts its own signatures, header names in any case', () => {
    expect(verify(signed(nowSeconds()), [secret])).toEqual({ ok: true });
  });

  it('accepts a message signed by the standardwebhooks library', () => {
    const ts = new Date();
    const signature = new Webhook(secret).sign('lead_7', ts, body);
    expect(
      verify(
        {
          headers: {
            'webhook-id': 'lead_7',
            'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body,
        },
        [secret],
      ),
    ).toEqual({ ok: true });
  });

  it('accepts a rotated message with either secret', () => {
    const old = newSecret();
    const request = signed(nowSeconds(), body, [secret, old]);
    expect(verify(request, [old]).ok).toBe(true);
    expect(verify(request, [secret]).ok).toBe(true);
  });

  it('rejects a changed body, a wrong secret, missing headers and foreign versions', () => {
    const ts = nowSeconds();
    expect(verify({ ...signed(ts), body: body.replace('7', '8') }, [secret])).toEqual({
      ok: false,
      reason: 'no signature matches',
    });
    expect(verify(signed(ts), [newSecret()]).ok).toBe(false);
    expect(verify({ headers: { 'webhook-id': 'lead_7' }, body }, [secret]).ok).toBe(false);
    const v1a = signed(ts).headers['Webhook-Signature'].replace('v1,', 'v1a,');
    expect(verify({ headers: { ...signed(ts).headers, 'Webhook-Signature': v1a }, body }, [secret]).ok).toBe(false);
    expect(verify({ headers: { ...signed(ts).headers, 'Webhook-Signature': 'v1,not-base64!! v1,' }, body }, [secret]).ok).toBe(
      false,
    );
  });

  it('rejects timestamps outside the tolerance either way, accepts the edge', () => {
    const now = new Date();
    const ts = Math.floor(now.getTime() / 1000);
    expect(verify(signed(ts - SIGNATURE_TOLERANCE_SECONDS), [secret], now).ok).toBe(true);
    expect(verify(signed(ts - SIGNATURE_TOLERANCE_SECONDS - 1), [secret], now)).toEqual({
      ok: false,
      reason: 'webhook-timestamp is too old (301 s off)',
    });
    expect(verify(signed(ts + SIGNATURE_TOLERANCE_SECONDS + 1), [secret], now)).toEqual({
      ok: false,
      reason: 'webhook-timestamp is in the future (301 s off)',
    });
  });
});
