-- demo_guides: a published disclosure guide (政府信息公开指南, OGI
-- Regulations Art. 12) for every demo unit that has none, run by every
-- `opengov seed --demo` (units added later get theirs by the API). Each
-- names the office, its address, hours, telephone, fax, e-mail, postal
-- address, the complaint route and the channels applications come
-- through; townships and sub-district offices keep no fax line, so they
-- take no applications by fax. Reviewed by 'seed:demo' like the catalogue.

INSERT INTO unit_guides (unit_id, version, status, categories, how_to_apply, office_name,
                         address, office_hours, telephone, fax, email, postal_address,
                         complaint_route, channels, created_by, submitted_by, submitted_at,
                         reviewed_by, reviewed_at, published_at, created_at, updated_at)
SELECT u.id, 1, 'published',
       ARRAY['general', 'project', 'regulation', 'work_dynamic', 'personnel', 'financial',
             'business', 'annual_report'],
       '主动公开的政府信息通过本机关门户网站“政府信息公开”专栏、政府公报、政务服务中心触摸屏等途径公开，可在政府信息公开目录中按类别、年份和文号查询。'
       || '申请获取其他政府信息的，请填写《政府信息公开申请表》，写明申请人姓名或者名称、身份证明、联系方式，所需信息的名称、文号或者便于查询的特征性描述，以及获取信息的方式和途径，'
       || CASE WHEN u.kind = 'municipal_agency'
               THEN '通过网上申请、当面递交、信函或者传真提交。'
               ELSE '通过网上申请、当面递交或者信函提交。' END,
       u.name || '政府信息公开工作机构',
       '市' || CASE u.kind WHEN 'municipal_agency' THEN '行政中心' ELSE '' END || u.name || '办公楼一楼政务公开窗口',
       '法定工作日上午8:30-12:00，下午14:30-17:30',
       '0734-' || (8200000 + row_number() OVER (ORDER BY u.code) * 1111)::text,
       CASE WHEN u.kind = 'municipal_agency'
            THEN '0734-' || (8200001 + row_number() OVER (ORDER BY u.code) * 1111)::text END,
       lower(replace(u.code, '-', '')) || '@gk.example.gov.cn',
       u.name || '政府信息公开工作机构（收），邮政编码421000',
       '认为本机关在政府信息公开工作中侵犯其合法权益的，可以向市人民政府办公室（政府信息公开工作主管部门）或者市纪委监察局投诉、举报；也可以依法申请行政复议或者提起行政诉讼。',
       CASE WHEN u.kind = 'municipal_agency'
            THEN ARRAY['online', 'paper', 'counter', 'post', 'fax']
            ELSE ARRAY['online', 'paper', 'counter', 'post'] END,
       'seed:demo', 'seed:demo', timestamptz '2019-01-02 09:00:00+08',
       'seed:demo', timestamptz '2019-01-02 10:00:00+08', timestamptz '2019-01-02 10:00:00+08',
       timestamptz '2019-01-02 08:00:00+08', timestamptz '2019-01-02 10:00:00+08'
FROM units u
WHERE u.code IN ('GOV-OFFICE', 'PSB', 'AIC', 'LRB', 'FIN', 'EDU', 'HRSS', 'HCPC', 'DRC', 'HUD',
                 'CA', 'EPB', 'LAO', 'EGOV', 'SUP', 'TS-SJ', 'TS-XH', 'TS-QS', 'TS-HY',
                 'TS-CS', 'SD-DF', 'SD-XL', 'SD-NY', 'SD-ZS')
  AND NOT EXISTS (SELECT 1 FROM unit_guides g WHERE g.unit_id = u.id);
