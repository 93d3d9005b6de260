-- 022_items_category_order: a search whose bigrams are all common reads the
-- newest 2,000 candidates of the list and, for its next_cursor, the key of
-- the 2,000th (api/items.c, search_window_end). For staff, whose lists are
-- not limited to published items, a category filter with another that no
-- index leads with (online) had no ordered index but the whole list's: the
-- planner sorted a sequential scan of the catalogue instead (260 ms at
-- 1.1 M items, seen by make bench's plan check). Published items have
-- items_pub_category (002); this one serves every status.

CREATE INDEX IF NOT EXISTS items_category_order ON items (category, sort_at DESC, id DESC);
