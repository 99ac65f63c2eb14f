// Lists read a page at a time with `page` (from 1) and `limit` (docs/guides/pagination.md, "Pages"). The
// validators have checked both against the operation's bounds before a service sees them.
export interface PageQuery {
  page: number;
  limit: number;
}
