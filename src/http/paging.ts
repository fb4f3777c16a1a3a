import type { PageRequest, PageResult } from "@/store/types.ts";

/** The list envelope: `{data, meta:{total,page,limit}}`. */
export function pageBody<T, U = T>(
  result: PageResult<T>,
  page: PageRequest,
  map: (item: T) => U = (x) => x as unknown as U,
) {
  return {
    data: result.data.map(map),
    meta: { total: result.total, page: page.page, limit: page.limit },
  };
}
