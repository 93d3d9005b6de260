-- demo_catalogue: the catalogue of the city's 2019 work summary, run once by
-- `opengov seed --demo` (it skips this when demo items exist). Deterministic:
-- every choice comes from hashint4 of the row number.
--
-- Information published in 2019, by category: general 275, project 685,
-- regulation 1,062, work dynamic 2,181, personnel 126, financial 21,
-- business 98, annual report 78 (4,526 in all).

CREATE TEMP TABLE demo_units ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY code) AS n, id, code, name FROM units;

CREATE TEMP TABLE demo_topics (n int, zh text, en text) ON COMMIT DROP;
INSERT INTO demo_topics
SELECT row_number() OVER (), zh, en FROM (VALUES
    ('城市管理', 'urban management'), ('义务教育', 'compulsory education'),
    ('医疗卫生', 'health care'), ('社会治安', 'public order'),
    ('安全生产', 'work safety'), ('环境保护', 'environmental protection'),
    ('住房保障', 'housing security'), ('社会救助', 'social assistance'),
    ('就业创业', 'employment and entrepreneurship'), ('农村公路建设', 'rural road building'),
    ('食品药品安全', 'food and drug safety'), ('市场监管', 'market regulation'),
    ('防汛抗旱', 'flood control and drought relief'), ('文化旅游', 'culture and tourism'),
    ('交通运输', 'transport'), ('消防安全', 'fire safety'),
    ('精准扶贫', 'targeted poverty alleviation'), ('优化营商环境', 'the business environment'),
    ('政务公开', 'open government affairs'), ('不动产登记', 'real estate registration'),
    ('国有土地使用权出让', 'state land use rights'), ('财政预算管理', 'budget management'),
    ('养老服务', 'elderly care'), ('农田水利建设', 'farmland water works'),
    ('城乡规划', 'urban and rural planning'), ('户籍管理', 'household registration'),
    ('出入境管理', 'exit and entry administration'), ('企业登记注册', 'company registration'),
    ('统计调查', 'statistical surveys'), ('网上审批', 'online approval'),
    ('电子监察', 'electronic supervision'), ('扫黑除恶专项斗争', 'the campaign against organised crime'),
    ('河长制', 'the river chief system'), ('大气污染防治', 'air pollution control'),
    ('征地拆迁', 'land expropriation and relocation'), ('校园安全', 'school safety')
) AS t(zh, en);

CREATE TEMP TABLE demo_info_plan (category text, total int, first int) ON COMMIT DROP;
INSERT INTO demo_info_plan VALUES
    ('general', 275, 0), ('project', 685, 275), ('regulation', 1062, 960),
    ('work_dynamic', 2181, 2022), ('personnel', 126, 4203), ('financial', 21, 4329),
    ('business', 98, 4350), ('annual_report', 78, 4448);

INSERT INTO items (kind, unit_id, category, status, title, title_en, summary, body,
                   document_number, published_at, created_by, created_at, updated_at,
                   submitted_by, submitted_at, reviewed_by, reviewed_at, review_decision)
SELECT 'information', u.id, p.category, 'published', t.zh_title, t.en_title,
       t.summary, t.body, t.docno, g.at, 'seed:demo', g.at - interval '2 days', g.at,
       'seed:demo', g.at - interval '1 day', 'seed:demo', g.at, 'approve'
FROM demo_info_plan p
CROSS JOIN LATERAL generate_series(1, p.total) AS i
CROSS JOIN LATERAL (SELECT
    abs(hashint4(p.first + i)) AS h,
    abs(hashint4((p.first + i) * 31 + 7)) AS h2,
    -- spread over 2 January .. 2 December 2019, office hours in Asia/Shanghai
    timestamptz '2019-01-02 09:00:00+08'
        + ((i - 1) * 334 / p.total) * interval '1 day'
        + (abs(hashint4(p.first + i)) % 8) * interval '1 hour'
        + (abs(hashint4(p.first + i + 1)) % 60) * interval '1 minute' AS at) AS g
CROSS JOIN LATERAL (SELECT * FROM demo_units
                    WHERE n = 1 + g.h % (SELECT count(*) FROM demo_units)) AS u
CROSS JOIN LATERAL (SELECT * FROM demo_topics
                    WHERE n = 1 + g.h2 % (SELECT count(*) FROM demo_topics)) AS tp
CROSS JOIN LATERAL (SELECT
    CASE p.category
        WHEN 'general' THEN (ARRAY[u.name || '机构职能', u.name || '领导分工', u.name || '内设机构及职责',
                                   u.name || '办公地址和联系方式', u.name || tp.zh || '工作职责',
                                   u.name || '政府信息公开指南'])[1 + g.h % 6]
        WHEN 'project' THEN (ARRAY[tp.zh || '项目建设进展情况公示', tp.zh || '项目环境影响评价公示',
                                   tp.zh || '项目政府采购中标公告', tp.zh || '重点项目招标公告',
                                   tp.zh || '项目资金使用情况公示'])[1 + g.h % 5]
        WHEN 'regulation' THEN (ARRAY['关于印发《' || tp.zh || '管理办法》的通知',
                                      '关于进一步加强' || tp.zh || '工作的实施意见',
                                      '关于开展' || tp.zh || '专项整治工作的通知',
                                      '关于印发' || tp.zh || '工作实施方案的通知',
                                      '关于做好2019年' || tp.zh || '工作的通知'])[1 + g.h % 5]
        WHEN 'work_dynamic' THEN (ARRAY[u.name || '召开2019年' || tp.zh || '工作会议',
                                        '市领导到' || u.name || '调研' || tp.zh || '工作',
                                        u.name || '开展' || tp.zh || '宣传活动',
                                        u.name || tp.zh || '工作取得阶段性成效',
                                        u.name || '组织' || tp.zh || '业务培训'])[1 + g.h % 5]
        WHEN 'personnel' THEN (ARRAY[u.name || '拟任职干部任前公示', u.name || '2019年公开招聘工作人员公告',
                                     u.name || '公开遴选公务员公告', '关于' || u.name || '干部任免的通知'])[1 + g.h % 4]
        WHEN 'financial' THEN (ARRAY[u.name || '2019年部门预算公开', u.name || '2018年部门决算公开',
                                     u.name || '2019年“三公”经费预算说明'])[1 + g.h % 3]
        WHEN 'business' THEN (ARRAY[tp.zh || '办事指南', tp.zh || '业务办理流程', tp.zh || '常见问题解答'])[1 + g.h % 3]
        ELSE u.name || (ARRAY['2018年政府信息公开工作年度报告', '2018年法治政府建设情况报告',
                                '2018年行政审批工作年度报告', '2018年政务服务工作年度报告'])[1 + (i - 1) / 24 % 4]
    END AS zh_title,
    CASE p.category
        WHEN 'general' THEN 'Functions, leadership and contacts of the unit'
        WHEN 'project' THEN 'Public notice on a project for ' || tp.en
        WHEN 'regulation' THEN 'Notice on ' || tp.en
        WHEN 'work_dynamic' THEN 'Work news on ' || tp.en
        WHEN 'personnel' THEN 'Personnel notice'
        WHEN 'financial' THEN 'Budget and final accounts disclosure'
        WHEN 'business' THEN 'Service guide for ' || tp.en
        ELSE '2018 annual report'
    END AS en_title,
    '为进一步做好' || tp.zh || '工作，' || u.name || '依据有关规定，现将有关情况予以公开。' AS summary,
    '一、总体要求' || chr(10) || '坚持依法行政，全面推进' || tp.zh || '工作规范化、标准化。' || chr(10)
        || '二、主要任务' || chr(10) || '（一）明确责任分工；（二）完善工作机制；（三）加强监督检查。' || chr(10)
        || '三、工作要求' || chr(10) || '各单位要高度重视，确保各项任务落到实处。' AS body,
    CASE WHEN p.category = 'regulation'
         THEN (ARRAY['衡政发', '衡政办发', '衡政函'])[1 + g.h2 % 3] || '〔2019〕' || (1 + (i - 1) % 400) || '号'
         WHEN p.category = 'personnel' THEN '衡人社发〔2019〕' || (1 + (i - 1) % 90) || '号'
    END AS docno) AS t;

-- Approval service items: administrative licensing 178, non-administrative
-- licensing 75, other management services 201, referrals 129; more than 80%
-- can be applied for online (every seventh is counter-only).
CREATE TEMP TABLE demo_service_plan (category text, total int, first int, prefix text) ON COMMIT DROP;
INSERT INTO demo_service_plan VALUES
    ('administrative_license', 178, 0, 'XK'), ('non_administrative_license', 75, 178, 'FX'),
    ('public_service', 201, 253, 'GG'), ('referral', 129, 454, 'ZJ');

CREATE TEMP TABLE demo_service_names (n int, zh text, en text, law text) ON COMMIT DROP;
INSERT INTO demo_service_names
SELECT row_number() OVER (), zh, en, law FROM (VALUES
    ('建筑工程施工许可', 'construction permit', '《中华人民共和国建筑法》第七条'),
    ('食品经营许可', 'food business licence', '《中华人民共和国食品安全法》第三十五条'),
    ('户口迁移审批', 'household registration transfer', '《中华人民共和国户口登记条例》第十条'),
    ('普通护照签发', 'ordinary passport issuance', '《中华人民共和国护照法》第五条'),
    ('娱乐场所经营许可', 'entertainment venue licence', '《娱乐场所管理条例》第九条'),
    ('排污许可', 'pollutant discharge permit', '《中华人民共和国水污染防治法》第二十一条'),
    ('采矿权新立登记', 'new mining right registration', '《中华人民共和国矿产资源法》第三条'),
    ('建设用地规划许可', 'land use planning permit', '《中华人民共和国城乡规划法》第三十七条'),
    ('民办学校设立审批', 'private school establishment', '《中华人民共和国民办教育促进法》第十二条'),
    ('医疗机构执业登记', 'medical institution registration', '《医疗机构管理条例》第十五条'),
    ('道路运输经营许可', 'road transport licence', '《中华人民共和国道路运输条例》第十条'),
    ('烟花爆竹经营许可', 'fireworks retail licence', '《烟花爆竹安全管理条例》第十九条'),
    ('企业设立登记', 'company registration', '《中华人民共和国公司登记管理条例》第二条'),
    ('个体工商户登记', 'individual business registration', '《个体工商户条例》第八条'),
    ('不动产首次登记', 'first real estate registration', '《不动产登记暂行条例》第十四条'),
    ('社会团体成立登记', 'social organisation registration', '《社会团体登记管理条例》第九条'),
    ('取水许可', 'water abstraction permit', '《中华人民共和国水法》第四十八条'),
    ('林木采伐许可', 'tree felling permit', '《中华人民共和国森林法》第三十二条'),
    ('最低生活保障审核', 'minimum living allowance review', '《社会救助暂行办法》第十一条'),
    ('职业资格证书核发', 'vocational qualification certificate', '《中华人民共和国劳动法》第六十九条')
) AS t(zh, en, law);

INSERT INTO items (kind, unit_id, category, status, title, title_en, summary, code,
                   legal_basis, statutory_days, committed_days, materials, fee, online,
                   published_at, created_by, created_at, updated_at, submitted_by,
                   submitted_at, reviewed_by, reviewed_at, review_decision)
SELECT 'service', u.id, p.category, 'published',
       s.zh || CASE p.category WHEN 'non_administrative_license' THEN '备案'
                               WHEN 'public_service' THEN '咨询服务'
                               WHEN 'referral' THEN '初审转报' ELSE '' END
            || CASE WHEN i > 20 THEN '（' || u.name || '）' ELSE '' END,
       initcap(s.en) || CASE p.category WHEN 'non_administrative_license' THEN ' filing'
                                       WHEN 'public_service' THEN ' advice'
                                       WHEN 'referral' THEN ' referral' ELSE '' END
            || CASE WHEN i > 20 THEN ' (' || u.code || ')' ELSE '' END,
       '申请人可通过' || CASE WHEN (p.first + i) % 7 = 0 THEN '窗口' ELSE '网上或窗口' END
           || '办理' || s.zh || '，材料齐全、符合法定形式的当场受理。',
       p.prefix || '-' || u.code || '-' || lpad(i::text, 3, '0'),
       s.law, 20, 5 + g.h % 11,
       jsonb_build_array(
           jsonb_build_object('code', 'APPLICATION', 'name', s.zh || '申请表', 'required', true),
           jsonb_build_object('code', 'ID', 'name', '申请人身份证明', 'required', true),
           jsonb_build_object('code', 'LICENCE', 'name', '营业执照副本复印件', 'required', g.h % 2 = 0),
           jsonb_build_object('code', 'OTHER', 'name', '其他相关证明材料', 'required', false)),
       CASE WHEN g.h % 10 = 0 THEN 50.00 ELSE 0 END,
       (p.first + i) % 7 <> 0,
       g.at, 'seed:demo', g.at - interval '2 days', g.at, 'seed:demo',
       g.at - interval '1 day', 'seed:demo', g.at, 'approve'
FROM demo_service_plan p
CROSS JOIN LATERAL generate_series(1, p.total) AS i
CROSS JOIN LATERAL (SELECT abs(hashint4(100000 + p.first + i)) AS h,
    timestamptz '2019-01-15 10:00:00+08' + ((p.first + i) % 300) * interval '1 day' AS at) AS g
CROSS JOIN LATERAL (SELECT * FROM demo_units
                    WHERE n = 1 + (p.first + i) % (SELECT count(*) FROM demo_units)) AS u
CROSS JOIN LATERAL (SELECT * FROM demo_service_names
                    WHERE n = 1 + (p.first + i) % (SELECT count(*) FROM demo_service_names)) AS s;

-- The application forms of ten services (docs/forms.md): the licence or
-- registration and its filing and referral items share the service's
-- form; advice items take none. Field names are the form's keys, each
-- with its Chinese label (title).
CREATE TEMP TABLE demo_service_forms (zh text, form_schema json) ON COMMIT DROP;
INSERT INTO demo_service_forms VALUES
    ('建筑工程施工许可', '{"type":"object","title":"建筑工程施工许可申请表","additionalProperties":false,"required":["company_name","uscc","legal_representative","project_name","project_address","contract_price","start_date","contact_phone"],"properties":{"company_name":{"type":"string","title":"建设单位名称","minLength":2,"maxLength":100},"uscc":{"type":"string","title":"统一社会信用代码","pattern":"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$","description":"18位，由营业执照载明"},"legal_representative":{"type":"string","title":"法定代表人","minLength":2,"maxLength":50},"project_name":{"type":"string","title":"工程名称","minLength":2,"maxLength":200},"project_address":{"type":"string","title":"建设地址","minLength":2,"maxLength":200},"contract_price":{"type":"number","title":"合同价格（万元）","minimum":0,"maximum":10000000},"building_area":{"type":"number","title":"建筑面积（平方米）","minimum":0,"maximum":10000000},"start_date":{"type":"string","title":"计划开工日期","format":"date"},"contact_phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"}}}'),
    ('食品经营许可', '{"type":"object","title":"食品经营许可申请书","additionalProperties":false,"required":["company_name","uscc","legal_representative","business_address","main_format","business_items","contact_phone"],"properties":{"company_name":{"type":"string","title":"经营者名称","minLength":2,"maxLength":100},"uscc":{"type":"string","title":"统一社会信用代码","pattern":"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$","description":"18位，由营业执照载明"},"legal_representative":{"type":"string","title":"法定代表人（负责人）","minLength":2,"maxLength":50},"business_address":{"type":"string","title":"经营场所","minLength":2,"maxLength":200},"main_format":{"type":"string","title":"主体业态","enum":["食品销售经营者","餐饮服务经营者","单位食堂"]},"business_items":{"type":"array","title":"经营项目","items":{"type":"string","title":"经营项目","enum":["预包装食品销售","散装食品销售","热食类食品制售","冷食类食品制售","糕点类食品制售","自制饮品制售"]},"minItems":1,"maxItems":6,"uniqueItems":true},"contact_phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"},"email":{"type":"string","title":"电子邮箱","format":"email","maxLength":254}}}'),
    ('户口迁移审批', '{"type":"object","title":"户口迁移申请表","additionalProperties":false,"required":["applicant_name","id_number","move_from","move_to","reason","persons","phone"],"properties":{"applicant_name":{"type":"string","title":"申请人姓名","minLength":2,"maxLength":50},"id_number":{"type":"string","title":"公民身份号码","pattern":"^[1-9][0-9]{16}[0-9X]$","description":"18位居民身份证号码"},"move_from":{"type":"string","title":"迁出地详细地址","minLength":2,"maxLength":200},"move_to":{"type":"string","title":"迁入地详细地址","minLength":2,"maxLength":200},"reason":{"type":"string","title":"迁移原因","enum":["投靠亲属","婚姻迁入","工作调动","购房落户","其他"]},"persons":{"type":"integer","title":"迁移人数","minimum":1,"maximum":20},"phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"}}}'),
    ('普通护照签发', '{"type":"object","title":"中国公民出入境证件申请表","additionalProperties":false,"required":["applicant_name","id_number","gender","birth_date","application_type","purpose","phone"],"properties":{"applicant_name":{"type":"string","title":"姓名","minLength":2,"maxLength":50},"id_number":{"type":"string","title":"公民身份号码","pattern":"^[1-9][0-9]{16}[0-9X]$","description":"18位居民身份证号码"},"gender":{"type":"string","title":"性别","enum":["男","女"]},"birth_date":{"type":"string","title":"出生日期","format":"date"},"application_type":{"type":"string","title":"申请类别","enum":["首次申请","换发","补发"]},"purpose":{"type":"string","title":"出境事由","enum":["旅游","探亲访友","商务","留学","其他"]},"phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"},"email":{"type":"string","title":"电子邮箱","format":"email","maxLength":254}}}'),
    ('娱乐场所经营许可', '{"type":"object","title":"娱乐场所经营许可申请表","additionalProperties":false,"required":["company_name","uscc","legal_representative","business_address","venue_type","floor_area","contact_phone"],"properties":{"company_name":{"type":"string","title":"申请单位名称","minLength":2,"maxLength":100},"uscc":{"type":"string","title":"统一社会信用代码","pattern":"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$","description":"18位，由营业执照载明"},"legal_representative":{"type":"string","title":"法定代表人","minLength":2,"maxLength":50},"business_address":{"type":"string","title":"经营场所地址","minLength":2,"maxLength":200},"venue_type":{"type":"string","title":"场所类型","enum":["歌舞娱乐场所","游艺娱乐场所"]},"floor_area":{"type":"number","title":"使用面积（平方米）","minimum":0,"maximum":100000},"rooms":{"type":"integer","title":"包厢（房间）数量","minimum":0,"maximum":1000},"contact_phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"}}}'),
    ('排污许可', '{"type":"object","title":"排污许可证申请表","additionalProperties":false,"required":["company_name","uscc","legal_representative","production_address","industry","pollutants","contact_phone"],"properties":{"company_name":{"type":"string","title":"排污单位名称","minLength":2,"maxLength":100},"uscc":{"type":"string","title":"统一社会信用代码","pattern":"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$","description":"18位，由营业执照载明"},"legal_representative":{"type":"string","title":"法定代表人","minLength":2,"maxLength":50},"production_address":{"type":"string","title":"生产经营场所地址","minLength":2,"maxLength":200},"industry":{"type":"string","title":"行业类别","minLength":2,"maxLength":100},"pollutants":{"type":"array","title":"主要污染物种类","items":{"type":"string","title":"污染物","minLength":1,"maxLength":50},"minItems":1,"maxItems":30,"uniqueItems":true},"discharge_outlets":{"type":"integer","title":"排放口数量","minimum":0,"maximum":500},"contact_phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"}}}'),
    ('民办学校设立审批', '{"type":"object","title":"民办学校设立申请表","additionalProperties":false,"required":["school_name","sponsor","principal","level","school_address","planned_enrolment","contact_phone"],"properties":{"school_name":{"type":"string","title":"学校名称","minLength":2,"maxLength":100},"sponsor":{"type":"string","title":"举办者","minLength":2,"maxLength":100},"principal":{"type":"string","title":"拟任校长","minLength":2,"maxLength":50},"level":{"type":"string","title":"办学层次","enum":["学前教育","义务教育","高中阶段教育","非学历教育"]},"school_address":{"type":"string","title":"办学地址","minLength":2,"maxLength":200},"planned_enrolment":{"type":"integer","title":"办学规模（人）","minimum":1,"maximum":100000},"registered_funds":{"type":"number","title":"开办资金（万元）","minimum":0,"maximum":1000000},"contact_phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"}}}'),
    ('医疗机构执业登记', '{"type":"object","title":"医疗机构执业登记申请书","additionalProperties":false,"required":["institution_name","principal","institution_type","address","departments","contact_phone"],"properties":{"institution_name":{"type":"string","title":"医疗机构名称","minLength":2,"maxLength":100},"uscc":{"type":"string","title":"统一社会信用代码","pattern":"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$","description":"18位，由营业执照载明"},"principal":{"type":"string","title":"主要负责人","minLength":2,"maxLength":50},"institution_type":{"type":"string","title":"医疗机构类别","enum":["综合医院","专科医院","门诊部","诊所","卫生院","社区卫生服务中心"]},"address":{"type":"string","title":"执业地点","minLength":2,"maxLength":200},"beds":{"type":"integer","title":"床位数","minimum":0,"maximum":10000},"departments":{"type":"array","title":"诊疗科目","items":{"type":"string","title":"诊疗科目","minLength":2,"maxLength":50},"minItems":1,"maxItems":40,"uniqueItems":true},"contact_phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"}}}'),
    ('道路运输经营许可', '{"type":"object","title":"道路运输经营申请表","additionalProperties":false,"required":["company_name","uscc","legal_representative","business_address","business_scope","vehicles","contact_phone"],"properties":{"company_name":{"type":"string","title":"申请人名称","minLength":2,"maxLength":100},"uscc":{"type":"string","title":"统一社会信用代码","pattern":"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$","description":"18位，由营业执照载明"},"legal_representative":{"type":"string","title":"法定代表人","minLength":2,"maxLength":50},"business_address":{"type":"string","title":"经营场所","minLength":2,"maxLength":200},"business_scope":{"type":"array","title":"申请经营范围","items":{"type":"string","title":"经营范围","enum":["道路普通货物运输","货物专用运输","大型物件运输","道路旅客运输"]},"minItems":1,"maxItems":4,"uniqueItems":true},"vehicles":{"type":"integer","title":"拟投入车辆数","minimum":1,"maximum":10000},"contact_phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"}}}'),
    ('企业设立登记', '{"type":"object","title":"公司登记（备案）申请书","additionalProperties":false,"required":["company_name","company_type","legal_representative","registered_capital","business_address","business_scope","shareholders","contact_phone"],"properties":{"company_name":{"type":"string","title":"企业名称","minLength":2,"maxLength":100},"company_type":{"type":"string","title":"企业类型","enum":["有限责任公司","股份有限公司","个人独资企业","合伙企业"]},"legal_representative":{"type":"string","title":"法定代表人","minLength":2,"maxLength":50},"registered_capital":{"type":"number","title":"注册资本（万元）","minimum":0,"maximum":100000000},"business_address":{"type":"string","title":"住所","minLength":2,"maxLength":200},"business_scope":{"type":"string","title":"经营范围","minLength":2,"maxLength":2000},"shareholders":{"type":"array","title":"股东（发起人）","minItems":1,"maxItems":50,"items":{"type":"object","title":"股东","additionalProperties":false,"required":["name","contribution"],"properties":{"name":{"type":"string","title":"股东名称或姓名","minLength":2,"maxLength":100},"contribution":{"type":"number","title":"认缴出资额（万元）","minimum":0,"maximum":100000000}}}},"contact_phone":{"type":"string","title":"联系电话","format":"phone","description":"手机号码或带区号的固定电话"},"email":{"type":"string","title":"电子邮箱","format":"email","maxLength":254}}}');

UPDATE items i SET form_schema = f.form_schema
FROM demo_service_forms f
WHERE i.created_by = 'seed:demo' AND i.kind = 'service' AND i.category <> 'public_service'
  AND i.title LIKE f.zh || '%';

-- The work in progress of the Public Security Bureau (demo-clerk's unit):
-- drafts and items waiting for the confidentiality review.
INSERT INTO items (kind, unit_id, category, status, title, title_en, summary, body,
                   document_number, created_by, submitted_by, submitted_at)
SELECT 'information', (SELECT id FROM units WHERE code = 'PSB'),
       (ARRAY['regulation', 'work_dynamic', 'business'])[1 + i % 3],
       CASE WHEN i <= 4 THEN 'draft' ELSE 'pending_review' END,
       (ARRAY['关于印发《2026年户籍管理工作要点》的通知', '市公安局开展冬季消防安全检查',
              '出入境证件办理指南（2026年版）', '关于加强校园周边治安管理的通告',
              '市公安局召开扫黑除恶专项斗争推进会', '机动车驾驶证业务办理流程'])[i],
       NULL, '市公安局' || (ARRAY['户籍管理', '消防安全', '出入境管理', '校园安全', '社会治安', '交通管理'])[i]
           || '相关信息，待保密审查后公开。',
       '正文待审核。', CASE WHEN i = 1 THEN '衡公发〔2026〕12号' END, 'seed:demo',
       CASE WHEN i > 4 THEN 'seed:demo' END, CASE WHEN i > 4 THEN now() END
FROM generate_series(1, 6) AS i;

SELECT audit_append('system', 'admin', 'catalogue.seed', 'item', NULL, NULL,
                    jsonb_build_object('seed', 'demo',
                        'information', (SELECT count(*) FROM items WHERE created_by = 'seed:demo' AND kind = 'information'),
                        'service', (SELECT count(*) FROM items WHERE created_by = 'seed:demo' AND kind = 'service')));
