import type { ConnectorFormat } from '../../domain/settings';
import { feishuBitable } from './feishu-bitable';
import { fxiaoke } from './fxiaoke';
import { hubspot } from './hubspot';
import { salesforce } from './salesforce';
import type { ConnectorDefinition } from './types';

export type { ConnectorDefinition, ConnectorInstance, ConnectorVerdict, ReasonClass } from './types';

/** Every connector by its `format` name; the `Record` makes a new one a compile error until it is wired here. */
export const CONNECTORS: Readonly<Record<ConnectorFormat, ConnectorDefinition>> = {
  'feishu-bitable': feishuBitable,
  fxiaoke,
  hubspot,
  salesforce,
};
