/** Paging shared by every list method: 1-based page, bounded limit. */
export interface PageRequest {
  page: number;
  limit: number;
}

/** What a list method returns; routes render it as `{data, meta:{total,page,limit}}`. */
export interface PageResult<T> {
  data: T[];
  total: number;
}

/** Offset for a page request. */
export function pageOffset(p: PageRequest): number {
  return (p.page - 1) * p.limit;
}

/**
 * Every item of a paged read, `limit` at a time, until its total is reached (or a page comes
 * back empty). A write meanwhile may shift an item into two pages: callers that mind dedupe by id.
 */
export async function allPages<T>(
  read: (page: PageRequest) => Promise<PageResult<T>>,
  limit = 500,
): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1;; page++) {
    const got = await read({ page, limit });
    all.push(...got.data);
    if (got.data.length === 0 || all.length >= got.total) return all;
  }
}
