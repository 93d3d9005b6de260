-- 023_item_forms: a service item's application form, and the required
-- materials an approval request still lacks.
--
-- form_schema is the form as a JSON Schema (the subset docs/forms.md lists,
-- checked by src/domain/formschema.c when staff set it): json, not jsonb,
-- so that its fields keep the order staff wrote them in (a form is read
-- top to bottom). NULL: the item has no form and any object is taken.
ALTER TABLE items ADD COLUMN IF NOT EXISTS form_schema json
    CHECK (form_schema IS NULL OR (kind = 'service' AND json_typeof(form_schema) = 'object'));

-- The required materials of the item not yet uploaded for the request, in
-- the order of the item's list: [{"code", "name"}], [] when none. The one
-- statement of the rule that an approval application is accepted only
-- with every required material there (Administrative Licensing Law
-- Art. 32(1)(5)): the accept step refuses while it is not empty, and the
-- request's next_step and allowed_actions say so (api/caseflow.c).
CREATE OR REPLACE FUNCTION request_missing_materials(p_request uuid, p_item uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('code', m.value->>'code', 'name', m.value->>'name')
                              ORDER BY m.ordinality), '[]'::jsonb)
    FROM items i, jsonb_array_elements(i.materials) WITH ORDINALITY AS m
    WHERE i.id = p_item AND coalesce((m.value->>'required')::boolean, false)
      AND NOT EXISTS (SELECT 1 FROM materials x WHERE x.request_id = p_request
                      AND x.code = m.value->>'code')
$$;
