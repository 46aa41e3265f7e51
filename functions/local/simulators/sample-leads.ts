import { createHash } from 'node:crypto';
import { isLeadId, type LeadId } from '../../shared/domain/ids';
import { formatTopTimestamp } from '../../shared/taobao/timestamp';

/** Realistic sample leads for the simulated gateway, the demo and the benchmarks. */

/** A lead as the API sends it. Ids are decimal strings, written to the wire as bare JSON numbers with every digit. */
export interface SampleLead {
  id: LeadId;
  seller_user_id?: string;
  seller_nick?: string;
  store_name?: string;
  page_id?: string;
  page_name?: string;
  name?: string;
  /** Base64 of the RSA ciphertext (128 bytes). */
  mobile?: string;
  location?: string;
  location_code?: string;
  /** GMT+8 wall time, `yyyy-MM-dd HH:mm:ss`. */
  lead_time?: string;
  /** Epoch ms. */
  gmt_create?: number;
  gmt_modified?: number;
  mm_src_cname?: string;
  extend_list?: { code: string; label: string; value: string }[];
}

export interface GenerateLeadsOptions {
  /** Id of the first (oldest) lead; later ones count up. Default 221985. */
  startId?: LeadId;
  /** Same seed, same leads. Default 1. */
  seed?: string | number;
  /** Up to this many ids skipped between consecutive leads (ids need not be dense). Default 0. */
  maxIdGap?: number;
  /** `lead_time` of the first lead, epoch ms. Default 2026-11-29 09:00:00 GMT+8. */
  startTime?: number;
}

const GIVEN_NAMES = ['三', '四', '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '婷'];
const PAGES = [
  { page_id: '5314456', page_name: '新半价2' },
  { page_id: '5320871', page_name: '春季新品试用' },
  { page_id: '5331208', page_name: '到店体验预约' },
  { page_id: '5342977', page_name: '免费领取样品' },
];
const LOCATIONS = [
  { location: '浙江省杭州市西湖区', location_code: '330106' },
  { location: '广东省深圳市南山区', location_code: '440305' },
  { location: '北京市北京市朝阳区', location_code: '110105' },
  { location: '上海市上海市浦东新区', location_code: '310115' },
  { location: '四川省成都市武侯区', location_code: '510107' },
  { location: '江苏省苏州市吴中区', location_code: '320506' },
];
const SOURCES = ['淘积木其他', '淘积木-直通车', '淘积木-引力魔方', '淘积木-万相台'];
const AGES = ['18-24岁', '25-30岁', '31-40岁', '41-50岁'];
const PRODUCTS = ['护肤套装', '扫地机器人', '婴儿奶粉', '家用净水器'];
const DEFAULT_START_TIME = Date.UTC(2026, 10, 29, 1, 0, 0); // 09:00:00 GMT+8

/**
 * `count` realistic leads with ascending ids and times, deterministic for a given seed: masked
 * names ("**三"), `mobile` as base64 of 128 pseudo-random bytes (the size of RSA-1024
 * ciphertext), form pages, locations with codes, `extend_list`, `lead_time` in GMT+8 wall time
 * and `gmt_create` / `gmt_modified` in epoch ms.
 */
export function generateLeads(count: number, options: GenerateLeadsOptions = {}): SampleLead[] {
  const random = new SeededRandom(String(options.seed ?? 1));
  const startId = options.startId ?? '221985';
  if (!isLeadId(startId)) throw new RangeError(`startId must be a decimal lead id, got ${JSON.stringify(startId)}`);
  const maxGap = options.maxIdGap ?? 0;
  let id = BigInt(startId);
  let time = options.startTime ?? DEFAULT_START_TIME;
  const leads: SampleLead[] = [];
  for (let i = 0; i < count; i += 1) {
    const page = random.pick(PAGES);
    const place = random.pick(LOCATIONS);
    const created = time + 1000 * random.int(4);
    const extras = [{ code: 'sex', label: '性别', value: random.int(2) === 0 ? '男' : '女' }];
    if (random.int(2) === 0) extras.push({ code: 'age', label: '年龄段', value: random.pick(AGES) });
    if (random.int(3) === 0) extras.push({ code: 'intent', label: '意向产品', value: random.pick(PRODUCTS) });
    leads.push({
      id: id.toString(),
      seller_user_id: '999999999',
      seller_nick: 'XX****旗舰店',
      store_name: '测试店铺名',
      ...page,
      name: `${'*'.repeat(1 + random.int(2))}${random.pick(GIVEN_NAMES)}`,
      mobile: random.bytes(128).toString('base64'),
      ...place,
      lead_time: formatTopTimestamp(time),
      gmt_create: created,
      gmt_modified: created,
      mm_src_cname: random.pick(SOURCES),
      extend_list: extras,
    });
    id += 1n + BigInt(maxGap > 0 ? random.int(maxGap + 1) : 0);
    time += 1000 * (1 + random.int(300));
  }
  return leads;
}

/** Deterministic bytes from SHA-256 in counter mode: reproducible sample data, not cryptography. */
class SeededRandom {
  private counter = 0;
  private pool = Buffer.alloc(0);

  constructor(private readonly seed: string) {}

  bytes(n: number): Buffer {
    while (this.pool.length < n) {
      const block = createHash('sha256').update(`${this.seed}:${this.counter++}`).digest();
      this.pool = Buffer.concat([this.pool, block]);
    }
    const out = this.pool.subarray(0, n);
    this.pool = this.pool.subarray(n);
    return Buffer.from(out);
  }

  /** An integer in [0, bound). */
  int(bound: number): number {
    return this.bytes(4).readUInt32BE(0) % bound;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}
