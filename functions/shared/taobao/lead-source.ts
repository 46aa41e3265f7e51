import { LeadSourceRateLimitedError, LeadSourceTransientError, type LeadPage, type LeadSource } from '../../poller/ports';
import type { LeadId } from '../domain/ids';
import { normalizeLead, unwrapList } from '../domain/lead';
import { isRecord } from '../domain/is-record';
import type { TopCaller } from './client';
import { TopError, TopProtocolError } from './errors';
import { writeLeadQueryDto } from './json';

/** The API this adapter reads (the page is in seed/taobao.mama.crm.lead.list.txt). */
export const LEAD_LIST_METHOD = 'taobao.mama.crm.lead.list';

/**
 * LeadSource over `taobao.mama.crm.lead.list`. A failure the client still has after its own
 * retries comes out in the port's words when calling later can help: a rate limit (code 7) as
 * LeadSourceRateLimitedError, any other retryable TopError (`result_ok: false` included) as
 * LeadSourceTransientError, each with the TopError as `cause`; a permanent one as the TopError
 * itself (the handler reads its code). A `result_data` that is neither a list nor a wrapped list
 * is a TopProtocolError rather than an empty page, because an empty page ends a scan and a
 * misread one would skip leads.
 */
export class TopLeadSource implements LeadSource {
  constructor(private readonly client: TopCaller) {}

  /** Fetches the page below `offset` (the newest page without it). Missing or empty `result_data` is an empty page. */
  async fetchPage(request: { offset?: LeadId; pageSize: number; deadline: number }): Promise<LeadPage> {
    const dto = writeLeadQueryDto({ pageSize: request.pageSize, offset: request.offset });
    const { body, requestId } = await this.client
      .call(LEAD_LIST_METHOD, { lead_external_query_dto: dto }, { deadline: request.deadline })
      .catch((error: unknown) => {
        throw inPortTerms(error);
      });
    // An empty page ends the scan. A wrapper that says neither result_ok nor result_data is not
    // "no more leads" but a reply we cannot read, and taking it for one would skip the rest.
    if (body.result_ok === undefined && body.result_data === undefined) {
      throw new TopProtocolError(
        LEAD_LIST_METHOD,
        'the response has neither result_ok nor result_data, so it is not read as an empty page',
      );
    }
    const records = leadRecords(body.result_data);
    const page: LeadPage = { rawCount: 0, leads: [], rejected: [], requestId };
    const warnings: { leadId: LeadId; problem: string }[] = [];
    for (const record of records) {
      page.rawCount += 1;
      const result = normalizeLead(record);
      if (!result.ok) {
        const above = page.leads.at(-1)?.id;
        page.rejected.push(above === undefined ? { problem: result.problem } : { problem: result.problem, below: above });
        continue;
      }
      page.leads.push(result.lead);
      for (const problem of result.warnings) warnings.push({ leadId: result.lead.id, problem });
    }
    if (warnings.length > 0) page.warnings = warnings;
    return page;
  }
}

/** A TopError that calling later can cure, as the port's error with it as `cause`; any other error as it is. */
function inPortTerms(error: unknown): unknown {
  if (!(error instanceof TopError)) return error;
  if (error.retryAfterMs !== undefined)
    return new LeadSourceRateLimitedError(error.message, { cause: error, retryAfterMs: error.retryAfterMs });
  if (error.retryable) return new LeadSourceTransientError(error.message, { cause: error });
  return error;
}

/** The records of `result_data`: bare or wrapped list; absent, null, '' or `{}` mean none. */
function leadRecords(resultData: unknown): unknown[] {
  if (resultData === undefined || resultData === null || resultData === '') return [];
  if (isRecord(resultData) && Object.keys(resultData).length === 0) return [];
  const records = unwrapList(resultData, 'result');
  if (records === undefined)
    throw new TopProtocolError(
      LEAD_LIST_METHOD,
      `result_data is not a list (${Array.isArray(resultData) ? 'array' : typeof resultData})`,
    );
  return records;
}
