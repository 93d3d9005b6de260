-- demo_publications: the 2019 catalogue's index numbers, timeliness and
-- channels, run by every `opengov seed --demo` after the catalogue (each
-- part only where it is missing). current_setting('opengov.tz') is
-- OPENGOV_TZ, set by src/db/seed.c.
--
-- The figures of the city's 2019 work summary: every piece on the city's
-- own portal; 3,000+ reported directly to the prefecture's portal (3,012
-- here); 17 issues of the government bulletin, 60,000 copies in all (16 of
-- 3,500 and the last of 4,000), carrying rules and normative documents;
-- touch screens in the service centre showing the general information,
-- personnel and business pieces. The day each document was made lies a
-- few days before its publication; one piece in forty came out more than
-- 20 working days after it (OGI Regulations Art. 26).

UPDATE items i SET made_on = (i.published_at AT TIME ZONE current_setting('opengov.tz'))::date
       - CASE WHEN abs(hashtext(i.id::text)) % 40 = 0 THEN 35 + abs(hashtext(i.id::text)) % 15
              ELSE abs(hashtext(i.id::text)) % 20 END
WHERE i.created_by = 'seed:demo' AND i.kind = 'information' AND i.published_at IS NOT NULL
  AND i.made_on IS NULL AND i.publish_due IS NULL;

UPDATE items i SET publish_due = d.due,
       published_late = (i.published_at AT TIME ZONE current_setting('opengov.tz'))::date > d.due
FROM (SELECT id, working_day_after(made_on, 20) AS due FROM items
      WHERE created_by = 'seed:demo' AND made_on IS NOT NULL AND publish_due IS NULL
        AND published_at IS NOT NULL) AS d
WHERE i.id = d.id;

SELECT catalogue_number_missing(current_setting('opengov.tz'), 'seed:demo');

INSERT INTO item_publications (item_id, unit_id, channel, published_on, recorded_by, recorded_at)
SELECT id, unit_id, 'portal', (published_at AT TIME ZONE current_setting('opengov.tz'))::date,
       'seed:demo', published_at
FROM items WHERE created_by = 'seed:demo' AND kind = 'information' AND published_at IS NOT NULL
ON CONFLICT DO NOTHING;

INSERT INTO item_publications (item_id, unit_id, channel, published_on, recorded_by, recorded_at)
SELECT id, unit_id, 'direct_report', (published_at AT TIME ZONE current_setting('opengov.tz'))::date,
       'seed:demo', published_at
FROM items
WHERE created_by = 'seed:demo' AND kind = 'information' AND published_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM item_publications p JOIN items x ON x.id = p.item_id
                  WHERE p.channel = 'direct_report' AND x.created_by = 'seed:demo')
ORDER BY hashtext(id::text), id
LIMIT 3012;

INSERT INTO item_publications (item_id, unit_id, channel, published_on, issue, copies,
                               recorded_by, recorded_at)
SELECT i.id, i.unit_id, 'bulletin', b.issued, '2019年第' || b.k || '期',
       CASE WHEN b.k = 17 THEN 4000 ELSE 3500 END, 'seed:demo', b.issued
FROM items i
CROSS JOIN LATERAL (SELECT 1 + (extract(doy FROM i.published_at AT TIME ZONE current_setting('opengov.tz'))::int - 1) * 17 / 336 AS k) AS kk
CROSS JOIN LATERAL (SELECT kk.k, least(date '2019-01-01' + (kk.k * 336 / 17), date '2019-12-31') AS issued) AS b
WHERE i.created_by = 'seed:demo' AND i.category = 'regulation' AND i.published_at IS NOT NULL
  AND extract(year FROM i.published_at AT TIME ZONE current_setting('opengov.tz')) = 2019
ON CONFLICT DO NOTHING;

INSERT INTO item_publications (item_id, unit_id, channel, published_on, recorded_by, recorded_at)
SELECT id, unit_id, 'touch_screen', (published_at AT TIME ZONE current_setting('opengov.tz'))::date + 1,
       'seed:demo', published_at + interval '1 day'
FROM items
WHERE created_by = 'seed:demo' AND category IN ('general', 'personnel', 'business')
  AND published_at IS NOT NULL
ON CONFLICT DO NOTHING;
