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
