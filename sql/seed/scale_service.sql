-- scale_service: the service items of `opengov seed --scale N` (N/10 of
-- them), codes made unique by the run (opengov.scale_run).
INSERT INTO items (kind, unit_id, category, status, title, summary, code, legal_basis,
                   statutory_days, committed_days, materials, fee, online, published_at,
                   created_by, created_at, updated_at)
SELECT 'service', v.units[1 + g.h % array_length(v.units, 1)],
       (ARRAY['administrative_license', 'non_administrative_license', 'public_service',
              'referral'])[1 + g.h % 4],
       'published', v.names[1 + g.h2 % array_length(v.names, 1)] || '（' || g.i || '）',
       '材料齐全、符合法定形式的当场受理。',
       'SC-' || current_setting('opengov.scale_run') || '-' || g.i,
       '《中华人民共和国行政许可法》第十二条', 20, 5 + g.h % 11,
       '[{"code": "APPLICATION", "name": "申请表", "required": true},
         {"code": "ID", "name": "申请人身份证明", "required": true}]'::jsonb,
       0, g.h % 7 <> 0, g.at, 'seed:scale', g.at, g.at
FROM (SELECT ARRAY['建筑工程施工许可', '食品经营许可', '户口迁移审批', '普通护照签发', '排污许可',
                   '企业设立登记', '不动产首次登记', '取水许可', '医疗机构执业登记',
                   '道路运输经营许可']::text[] AS names,
             (SELECT array_agg(id ORDER BY code) FROM units) AS units) AS v,
     LATERAL (SELECT i, abs(hashint8(i * 3 + 1)) AS h, abs(hashint8(i * 5 + 2)) AS h2,
        timestamptz '2010-01-01 08:00:00+08'
            + (i::float8 / greatest(1, current_setting('opengov.scale_services')::bigint))
              * (now() - timestamptz '2010-01-01 08:00:00+08') AS at
      FROM generate_series(1, current_setting('opengov.scale_services')::bigint) AS i) AS g;
