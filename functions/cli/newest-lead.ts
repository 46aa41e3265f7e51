import { TopClient } from '../shared/taobao/client';
import { TopLeadSource } from '../shared/taobao/lead-source';
import type { LeadId } from '../shared/domain/ids';
import type { TopSettings } from '../shared/domain/settings';

/** How long reset-cursor waits for the gateway, retries included. */
const CALL_BUDGET_MS = 30_000;

/** The id of the newest lead the source has (one row of the newest page), or undefined when it has none. */
export async function newestLeadId(top: TopSettings): Promise<LeadId | undefined> {
  const page = await new TopLeadSource(TopClient.fromSettings(top)).fetchPage({
    pageSize: 1,
    deadline: Date.now() + CALL_BUDGET_MS,
  });
  return page.leads[0]?.id;
}
