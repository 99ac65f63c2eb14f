// How lists are read a page at a time (docs/guides/pagination.md). The validators have checked every bound
// before a service sees the query.

/** AiArinova and platform lists: `page` from 1 and `limit`, answered with `total`, `page` and `totalPages`. */
export interface PageQuery {
  page: number;
  limit: number;
}

/** Rooms lists without a sequence: `limit` items after skipping `offset`; a short page is the last. */
export interface OffsetQuery {
  limit: number;
  offset: number;
}
