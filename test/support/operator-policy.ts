import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PolicyDocument } from './iam-evaluation';

/** The README section that documents the operator's IAM policy; its first ```json block is the policy. */
export const OPERATOR_POLICY_SECTION = '## Operator permissions';

/**
 * The operator policy exactly as the README prints it, with its `<Name>` placeholders replaced:
 * `values` holds each one (the stack's outputs, Region, Account). A placeholder without a value
 * is an error, so the README cannot name one the test does not fill in.
 */
export function readmeOperatorPolicy(
  values: Record<string, string>,
  readme = path.join(__dirname, '..', '..', 'README.md'),
): PolicyDocument {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(`\n${OPERATOR_POLICY_SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no section "${OPERATOR_POLICY_SECTION}"`);
  const block = /```json\n([\s\S]*?)```/.exec(text.slice(start))?.[1];
  if (block === undefined) throw new Error(`README.md "${OPERATOR_POLICY_SECTION}" has no json block`);
  const filled = block.replace(/<(\w+)>/g, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`the README's operator policy names <${name}>, which the test has no value for`);
    return value;
  });
  return JSON.parse(filled) as PolicyDocument;
}
