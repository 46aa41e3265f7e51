import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, CfnTable, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export const PARTITION_KEY = 'pk';
export const STATE_TABLE_LOGICAL_ID = 'StateTable';
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * Item-level actions a function may be granted; Scan and Query are never granted (see grantItems).
 * BatchWriteItem names the key of every item it writes, so LeadingKeys holds for each of them.
 */
export type ItemAction =
  'dynamodb:GetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:BatchWriteItem';

/**
 * The state table: poller cursors and scan state, the forwarder's ledger and endpoint status,
 * told apart by key prefix (KEY_PREFIXES, functions/shared/config/stack-contract.ts). Kept when the stack is deleted: losing the cursor re-sends history
 * (startFrom) and losing the ledger re-delivers.
 */
export class StateTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Pinned: a refactor that moved this construct must never replace the table (and with it
    // every cursor and ledger entry); the retained old table would silently stop being used.
    (this.table.node.defaultChild as CfnTable).overrideLogicalId(STATE_TABLE_LOGICAL_ID);
  }

  /**
   * Grants item actions limited to items whose partition key starts with one of `prefixes`
   * (dynamodb:LeadingKeys). Only single-item actions: a ForAllValues condition is vacuously
   * true for a request that names no key (a Scan), so such actions must never be granted here.
   */
  grantItems(grantee: IGrantable, prefixes: readonly string[], actions: readonly ItemAction[]): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) },
      },
    });
  }
}
