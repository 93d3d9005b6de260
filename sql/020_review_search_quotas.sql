-- 020_review_search_quotas: the catalogue review's second person, and the
-- quotas on what anonymous and public callers create.

-- Who wrote an item's text since its last review (its author is kept in
-- created_by): none of them, nor the submitter, may review it. Cleared by
-- each review. Existing drafts and pending items get the editors their
-- audit trail names since their last review.
ALTER TABLE items ADD COLUMN edited_by text[] NOT NULL DEFAULT '{}';

UPDATE items i SET edited_by = e.actors
FROM (SELECT a.entity_id, array_agg(DISTINCT a.actor) AS actors
      FROM audit_log a
      JOIN items x ON x.id::text = a.entity_id
      WHERE a.entity = 'item' AND a.action = 'item.update'
        AND x.status IN ('draft', 'pending_review')
        AND a.at > coalesce(x.reviewed_at, '-infinity')
      GROUP BY a.entity_id) AS e
WHERE i.id::text = e.entity_id;
