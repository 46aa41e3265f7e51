import { ENV, readForwarderEnvironment } from '../../../../functions/shared/config/lambda-env';
import { ConfigError } from '../../../../functions/shared/domain/errors';

const valid = {
  [ENV.stateTable]: 'state',
  [ENV.leadsQueueUrl]: 'https://sqs/leads',
  [ENV.dlqUrl]: 'https://sqs/dlq',
  [ENV.maxReceiveCount]: '55',
  [ENV.leadsRetentionSeconds]: '345600',
  [ENV.webhooksSecretArn]: 'arn:aws:secretsmanager:us-east-1:1:secret:w',
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    readForwarderEnvironment(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('readForwarderEnvironment', () => {
  it('reads what the stack sets', () => {
    expect(readForwarderEnvironment(valid)).toEqual({
      table: 'state',
      queueUrl: 'https://sqs/leads',
      dlqUrl: 'https://sqs/dlq',
      maxReceiveCount: 55,
      leadsRetentionSeconds: 345_600,
      webhooksSecretArn: valid[ENV.webhooksSecretArn],
    });
  });

  it.each([
    [ENV.maxReceiveCount, undefined, /MAX_RECEIVE_COUNT must be a positive whole number/],
    [ENV.maxReceiveCount, '0', /MAX_RECEIVE_COUNT/],
    [ENV.leadsRetentionSeconds, undefined, /LEADS_RETENTION_SECONDS must be a whole number of seconds/],
    [ENV.leadsRetentionSeconds, '4 days', /LEADS_RETENTION_SECONDS/],
    [ENV.leadsRetentionSeconds, '30', /LEADS_RETENTION_SECONDS/],
  ])('%s=%s is refused with a clear problem', (name, value, problem) => {
    expect(problemsOf({ ...valid, [name]: value })).toEqual([expect.stringMatching(problem)]);
  });
});
