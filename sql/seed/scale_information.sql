-- scale_information: benchmark rows for `opengov seed --scale N`, rows
-- opengov.scale_lo..opengov.scale_hi of N (several connections load disjoint
-- ranges at once). Set-based: one INSERT ... SELECT over generate_series.
-- Published between 2010 and now, categories in the 2019 proportions.
INSERT INTO items (kind, unit_id, category, status, title, summary, document_number,
                   published_at, created_by, created_at, updated_at)
SELECT 'information', v.units[1 + g.h2 % array_length(v.units, 1)],
       CASE WHEN g.h1 % 4526 < 275 THEN 'general' WHEN g.h1 % 4526 < 960 THEN 'project'
            WHEN g.h1 % 4526 < 2022 THEN 'regulation' WHEN g.h1 % 4526 < 4203 THEN 'work_dynamic'
            WHEN g.h1 % 4526 < 4329 THEN 'personnel' WHEN g.h1 % 4526 < 4350 THEN 'financial'
            WHEN g.h1 % 4526 < 4448 THEN 'business' ELSE 'annual_report' END,
       CASE WHEN g.h6 % 50 = 0 THEN 'draft' ELSE 'published' END,
       v.pre[1 + g.h3 % 10] || v.topic[1 + g.h4 % 30] || v.suf[1 + g.h5 % 10],
       '做好' || v.topic[1 + g.h5 % 30] || '和' || v.topic[1 + g.h2 % 30] || '工作',
       '衡政发〔' || (2010 + g.h6 % 17) || '〕' || (1 + g.h1 % 300) || '号',
       CASE WHEN g.h6 % 50 = 0 THEN NULL ELSE g.at END, 'seed:scale', g.at, g.at
FROM (SELECT
        ARRAY['关于印发', '关于做好', '关于开展', '关于加强', '关于公布', '关于进一步规范',
              '关于调整', '关于征求', '关于表彰', '关于下达']::text[] AS pre,
        ARRAY['城市管理', '义务教育', '医疗卫生', '公共安全', '安全生产', '环境保护', '住房保障',
              '社会救助', '就业创业', '农村公路', '食品药品', '市场监管', '防汛抗旱', '文化旅游',
              '交通运输', '消防安全', '扶贫开发', '营商环境', '政务公开', '不动产登记', '国有土地',
              '财政预算', '养老服务', '水利建设', '城乡规划', '户籍管理', '出入境', '企业登记',
              '统计调查', '网上审批']::text[] AS topic,
        ARRAY['工作方案的通知', '实施意见', '管理办法', '专项整治工作', '检查情况的通报',
              '工作要点', '信息公开指南', '年度报告', '项目公示', '征求意见稿']::text[] AS suf,
        (SELECT array_agg(id ORDER BY code) FROM units) AS units) AS v,
     LATERAL (SELECT i,
        abs(hashint8(i)) AS h1, abs(hashint8(i + 1000000007)) AS h2,
        abs(hashint8(i * 7 + 3)) AS h3, abs(hashint8(i * 13 + 5)) AS h4,
        abs(hashint8(i * 17 + 11)) AS h5, abs(hashint8(i * 19 + 23)) AS h6,
        timestamptz '2010-01-01 08:00:00+08'
            + (i::float8 / current_setting('opengov.scale_n')::bigint)
              * (now() - timestamptz '2010-01-01 08:00:00+08') AS at
      FROM generate_series(current_setting('opengov.scale_lo')::bigint,
                           current_setting('opengov.scale_hi')::bigint) AS i) AS g;
