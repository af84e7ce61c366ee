"""The rule catalogue: every rule govwatch judges, declared once.

Each ``Rule`` gives its id, the Chinese label (问题类型) offices see, the default severity, the legal
basis it enforces (依据), the rectification measure (整改措施) offices are told, the case type of the
export's 问题案例汇总 sheet, the settings keys of its thresholds, and where its judging function and
its test file are. Alert texts, export cells, console labels, ``govwatch rules`` and
``docs/rules.md`` are all rendered from here.

Texts may name thresholds as ``{homepage_stale_days}`` or ``{column_stale_days.notice}`` (keys under
``thresholds`` in the settings); ``basis_text`` and ``measure_text`` fill them in from the live
(resolved) thresholds, formatted with the unit the settings table gives. A placeholder must be one of
the rule's declared ``thresholds`` (a test renders every text).

Content rules whose words live in lexicon files (``banned.*``, ``offtopic.*`` …) are declared here
too; a lexicon directory may add categories of its own, which then take label and severity from
their file and basis, measure and case type from their family (``FAMILIES``).

Bottom layer: imports only ``govwatch.settings``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from govwatch.settings import DEFAULTS, SPECS

S19 = "《政府网站与政务新媒体检查指标》（国办秘函〔2019〕19号）"
G47 = "《政府网站发展指引》（国办发〔2017〕47号）"
G123 = "《关于推进政务新媒体健康有序发展的意见》（国办发〔2018〕123号）"

# 问题案例汇总 问题类型, the six categories of the national form.
CASE_TYPES = ("涉中央领导同志编辑差错", "权威信息发布编辑差错", "权威信息片面解读", "标题党", "内容庸俗化、娱乐化", "其他")


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    severity: str
    basis: str
    measure: str
    case_type: str = "其他"
    thresholds: tuple[str, ...] = ()  # settings keys, e.g. "thresholds.homepage_stale_days"
    judge: str = ""  # "module:function" that produces it
    test: str = ""  # test file that triggers it
    lexicon: str = ""  # lexicon file(s) holding its words, for lexicon rules
    case_row: bool = False  # a page-level incident that gets its own 问题案例汇总 row
    audience: str = "office"  # "office": a finding for the responsible office; "admin": admins only

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Family:
    """Defaults for rules of a family that the catalogue does not name (user lexicon categories)."""
    name: str
    basis: str
    measure: str
    case_type: str = "其他"
    judge: str = ""
    test: str = ""


_LEXICON_JUDGE = "scanner.content:scan_document"
_CONTENT_TEST = "tests/test_scanner_rules.py"

FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("banned", f"{S19}单项否决：发布或链接违反“七条底线”和“十不得”的内容",
           "立即删除违规内容，核查信息发布审核流程", judge=_LEXICON_JUDGE, test=_CONTENT_TEST),
    Family("expression", "新华社《新闻报道中的禁用词》：政治性表述不规范", "按规范表述修改",
           case_type="权威信息发布编辑差错", judge=_LEXICON_JUDGE, test=_CONTENT_TEST),
    Family("offtopic", "功能定位不清：发布与政务无关的内容", "删除与政务无关的内容",
           case_type="内容庸俗化、娱乐化", judge=_LEXICON_JUDGE, test=_CONTENT_TEST),
    Family("ads", f"{S19}：刊登商业广告（含软文）", "删除商业广告内容", judge=_LEXICON_JUDGE, test=_CONTENT_TEST),
    Family("secret", "涉密信息不上网：页面含密级标志或内部资料标记", "立即撤下涉密信息，按保密规定核查处理",
           judge=_LEXICON_JUDGE, test=_CONTENT_TEST),
    Family("privacy", "个人信息保护：公开信息中的个人信息应去标识化", "对个人信息作去标识化处理",
           judge="scanner.privacy:scan_privacy", test="tests/test_scanner_privacy.py"),
    Family("title", "标题党：以夸张、悬念式标题吸引点击", "修改标题，杜绝标题党", case_type="标题党",
           judge=_LEXICON_JUDGE, test=_CONTENT_TEST),
    Family("tone", "内容庸俗化、娱乐化", "修改为规范、庄重的表述", case_type="内容庸俗化、娱乐化",
           judge=_LEXICON_JUDGE, test=_CONTENT_TEST),
    Family("source", "规范转载：转载稿件应注明来源，不得转载自媒体、商业平台稿件", "规范标注转载来源",
           judge=_LEXICON_JUDGE, test=_CONTENT_TEST),
    Family("link", f"{S19}：链接商业网站或违规网站", "删除或更换违规、商业链接",
           judge="scanner.links:scan_links", test=_CONTENT_TEST),
    Family("map", "《地图管理条例》：公开地图应标注审图号", "补充审图号或改用标准地图",
           judge="scanner.maps:scan_maps", test=_CONTENT_TEST),
    Family("site", G47, "按要求整改", judge="scanner.site:check_site", test="tests/test_site_checks.py"),
    Family("account", S19, "按要求及时更新账号内容", judge="scanner.timeline:judge_target",
           test="tests/test_timeline.py"),
    Family("timeline", S19, "核实发布日期，如实标注", judge="scanner.timeline:judge_new_items", test="tests/test_timeline.py"),
    Family("registry", G123, "按规定整改账号开设和运营管理", judge="scanner.registry_rules:check_registry",
           test="tests/test_registry.py"),
)}


# Families judged from an item's own text: a rescan of a changed page can clear them, and the
# export lists them in its 错敏信息明细 sheet.
CONTENT_FAMILIES = ("banned", "expression", "secret", "privacy", "ads", "title", "tone", "offtopic", "source",
                    "link", "map")
CONTENT_RULE_PREFIXES = tuple(f"{f}." for f in CONTENT_FAMILIES)


def is_content_rule(rule_id: str) -> bool:
    return rule_id.startswith(CONTENT_RULE_PREFIXES)


def _content(rule_id: str, label: str, severity: str, lexicon: str = "", **kw) -> Rule:
    fam = FAMILIES[rule_id.split(".", 1)[0]]
    kw.setdefault("basis", fam.basis)
    kw.setdefault("measure", fam.measure)
    kw.setdefault("case_type", fam.case_type)
    kw.setdefault("judge", fam.judge)
    kw.setdefault("test", fam.test)
    return Rule(rule_id, label, severity, lexicon=lexicon, **kw)


_T = "thresholds."
_CONDEMN = _T + "condemnation_window"  # how far 打击、严禁、不法分子 … reach (scanner.matching)
_SITE = "tests/test_site_checks.py"
_AVAIL = "tests/test_availability.py"
_TIMELINE = "tests/test_timeline.py"

RULES_LIST: tuple[Rule, ...] = (
    # ------------------------------------------------------------------ content (lexicon)
    *(_content(f"banned.{name}", label, "veto", f"banned_{name}.txt", thresholds=(_CONDEMN,)) for name, label in (
        ("constitution", "违反宪法确定的基本原则"),
        ("security", "危害国家安全、泄露国家秘密、颠覆国家政权、破坏国家统一"),
        ("honor", "损害国家荣誉和利益"),
        ("history", "歪曲、丑化、亵渎、否定英雄烈士和历史"),
        ("ethnic", "煽动民族仇恨、民族歧视"),
        ("cult", "邪教、封建迷信"),
        ("rumor", "散布谣言、扰乱社会秩序"),
        ("obscene", "淫秽色情、赌博、暴力、恐怖"),
        ("insult", "侮辱或者诽谤他人"),
        ("illegal_org", "非法组织"),
    )),
    _content("expression.leader", "领导人姓名职务错误", "veto", "expression_leader.txt, leaders.txt, leaders_fallen.txt",
             basis=f"{S19}单项否决：严重表述错误（领导人姓名或职务错误）", measure="立即更正领导同志姓名、职务表述",
             case_type="涉中央领导同志编辑差错", judge="scanner.leaders:scan_leaders"),
    _content("expression.term", "政治用语不规范", "high", "expression_term.txt, expression_term_cooccur.txt"),
    _content("expression.style", "用语不规范（一般）", "medium", "expression_style.txt",
             basis="用语不规范：新华社禁用词和慎用词中的称谓、用语风格类（不属于严重表述错误）",
             measure="按规范用语修改"),
    _content("expression.typo", "错别字", "medium", "expression_typo.txt", basis="错别字：权威信息发布编辑差错"),
    *(_content(f"offtopic.{name}", f"发布与政务无关信息（{what}）", "low",
               f"offtopic_{name}.txt" + (", offtopic_gossip_cooccur.txt" if name == "gossip" else "")) for name, what in (
        ("gossip", "娱乐八卦"), ("horoscope", "星座运势"), ("lottery", "彩票预测"), ("stock", "荐股"))),
    _content("ads.promo", "商业广告（软文）", "high", "ads_promo.txt, ads_promo_cooccur.txt", thresholds=(_CONDEMN,)),
    _content("ads.contact", "商业广告（变形联系方式）", "high", judge="scanner.ads:scan_contacts"),
    _content("secret.marker", "涉密标识", "veto", "secret_marker.txt", judge="scanner.secrets:scan_secrets",
             thresholds=(_CONDEMN,)),
    _content("privacy.id_number", "泄露个人信息（身份证号）", "high"),
    _content("privacy.bank_card", "泄露个人信息（银行卡号）", "high"),
    _content("privacy.mobile", "泄露个人信息（手机号）", "medium"),
    _content("title.clickbait", "标题党", "medium", "title_clickbait.txt, title_clickbait_strong.txt",
             basis="标题党：以夸张、悬念式标题吸引点击（标题党评分达到 {clickbait_score}即报）",
             thresholds=(_T + "clickbait_score", _T + "clickbait_points.phrase", _T + "clickbait_points.punctuation",
                         _T + "clickbait_points.ellipsis", _T + "clickbait_points.emoji"),
             judge="scanner.clickbait:scan_title"),
    _content("tone.vulgar", "庸俗化、娱乐化表达", "low", "tone_vulgar.txt, tone_vulgar_interjection.txt",
             basis="内容庸俗化、娱乐化（含标题中 {emoji_title_count}、正文中 {emoji_text_count}以上表情符号）",
             thresholds=(_T + "emoji_title_count", _T + "emoji_text_count")),
    _content("source.unauthorised", "转载来源不规范", "medium", "source_selfmedia.txt, source_vague.txt",
             basis="规范转载：不得转载自媒体、商业平台稿件", judge="scanner.sources:scan_source_whole"),
    _content("source.missing", "转载未注明来源", "low", basis="规范转载：转载稿件应注明来源",
             judge="scanner.sources:scan_missing"),
    _content("link.commercial", "链接商业网站", "low", "link_commercial.txt"),
    _content("link.blocklist", "链接违规网站", "veto", "link_blocklist.txt"),
    _content("map.no_review_number", "地图未标注审图号", "low"),
    # ------------------------------------------------------------------ site pages (scanner/site.py)
    Rule("site.footer_missing", "网站标识缺失", "medium",
         f"{G47}：页脚缺少网站标识码、ICP 备案号、公安备案号或党政机关网站标识",
         "按《政府网站发展指引》在页脚标注网站标识码、ICP备案号、公安机关备案号和党政机关网站标识",
         judge="scanner.site:footer_missing", test=_SITE),
    Rule("site.dark_link", "暗链（隐藏外链）", "veto",
         f"{S19}单项否决：页面含指向外部网站的隐藏链接（疑似挂马、篡改）；目标在黑名单中或链接文字涉赌涉黄、"
         "商业推广的为单项否决，其余为严重问题待人工核实（备案、党政机关标识、无障碍等链接和 .gov.cn 网站除外）",
         "立即删除隐藏链接并排查网站是否被入侵", thresholds=(_T + "dark_link_blocklist",),
         judge="scanner.site:dark_links", test=_SITE, case_row=True),
    Rule("site.dead_link", "链接不可用", "low", f"{G47}：链接或附件无法打开（连续两次采集均失败，404/410 立即认定；"
         "首页上的为严重问题）",
         "修复或删除失效链接", judge="scanner.site:dead_links", test=_SITE),
    Rule("site.link_hijacked", "外链被劫持", "veto", f"{S19}单项否决：链接的外部网站已变为赌博、色情等违法内容",
         "立即删除该链接", thresholds=(_T + "hijacked_gambling_terms",), judge="scanner.site:hijacked_links",
         test=_SITE, case_row=True),
    Rule("site.domain", "域名不规范", "medium", f"{G47}：政府网站应使用 .gov.cn 域名",
         "按国办发〔2017〕47号使用 .gov.cn 域名", judge="scanner.site:domain", test=_SITE),
    Rule("site.slow", "首页访问慢", "low", f"{G47}：首页打开时间超过 {{slow_ms}}",
         "优化网站性能，首页打开时间控制在 {slow_ms}以内", thresholds=(_T + "slow_ms",),
         judge="scanner.site:slow", test=_SITE),
    Rule("site.meta_missing", "网页标签缺失", "low", f"{G47}：文章页缺少 ArticleTitle、PubDate、ContentSource 网页标签",
         "按政府网站网页设计规范补充元数据标签", judge="scanner.site:meta_missing", test=_SITE),
    Rule("site.defaced", "首页被篡改", "veto", f"{S19}单项否决：首页被篡改（安全事故）",
         "立即关闭首页、排查入侵并恢复正常内容",
         thresholds=(_T + "defaced_change_floor", _T + "defaced_sigmas", _T + "defaced_min_spread",
                     _T + "defaced_min_history", _T + "defaced_early_change", _T + "defaced_history_crawls"),
         judge="scanner.site:defaced", test=_SITE, case_row=True),
    Rule("site.interaction_unanswered", "互动回应差", "veto",
         f"{S19}单项否决：互动回应差，留言超过 {{interaction_unanswered_days}}未答复",
         "及时答复网民留言，应在 {interaction_unanswered_days}内办结并公开答复",
         thresholds=(_T + "interaction_unanswered_days", _T + "interaction_window_days"),
         judge="scanner.site:interaction_unanswered", test=_SITE),
    # ------------------------------------------------------------------ availability (scanner/availability.py)
    Rule("site.down_now", "网站无法访问", "high", "值班要求：连续 {down_consecutive}探测失败，网站当前无法访问",
         "立即排查服务器和网络，恢复网站访问", thresholds=(_T + "down_consecutive", _T + "probe_timeout"),
         judge="scanner.availability:judge_availability", test=_AVAIL),
    Rule("site.unreachable", "站点无法访问（一周不可用率超标）", "veto",
         f"{S19}单项否决：站点无法访问（{{unreachable_window_days}}内不可访问比例 ≥{{unreachable_share}}）",
         "排查网站可用性问题，保障正常访问",
         thresholds=(_T + "unreachable_share", _T + "unreachable_window_days", _T + "unreachable_min_probes",
                     _T + "probe_timeout"),
         judge="scanner.availability:judge_availability", test=_AVAIL),
    Rule("site.tls_expiring", "证书即将过期", "medium", "运维要求：网站证书在 {tls_expiring_days}内过期或已过期",
         "及时更新 HTTPS 证书", thresholds=(_T + "tls_expiring_days",),
         judge="scanner.availability:judge_availability", test=_AVAIL),
    # ------------------------------------------------------------------ timeliness (scanner/timeline.py)
    Rule("site.homepage_stale", "首页不更新", "veto", f"{S19}单项否决：首页超过 {{homepage_stale_days}}未更新",
         "及时在首页发布新信息", thresholds=(_T + "homepage_stale_days", _T + "crawl_max_age_hours"),
         judge="scanner.timeline:judge_target", test=_TIMELINE),
    Rule("site.column_stale", "栏目不更新", "medium",
         f"{S19}：栏目不更新（动态要闻类 {{column_stale_days.news}}、通知公告类 {{column_stale_days.notice}}、"
         "政策文件类 {column_stale_days.policy}、概况信息类 {column_stale_days.overview}未更新；"
         "{column_stale_veto_count}以上栏目超期即单项否决）",
         "及时更新栏目信息，无法保障的栏目归并或关闭",
         thresholds=(_T + "column_stale_days.news", _T + "column_stale_days.notice", _T + "column_stale_days.policy",
                     _T + "column_stale_days.overview", _T + "column_warn_ratio", _T + "column_stale_veto_count"),
         judge="scanner.timeline:judge_target", test=_TIMELINE),
    Rule("site.column_empty", "空白栏目", "medium",
         f"{S19}：空白栏目（{{column_empty_veto_count}}以上即单项否决）", "补充栏目内容，或按规定归并、关闭该栏目",
         thresholds=(_T + "column_empty_veto_count",), judge="scanner.timeline:judge_target", test=_TIMELINE),
    Rule("site.undated", "信息未注明发布时间", "low", "2015 年全国政府网站普查规则：未标注发布日期的信息视为未更新",
         "为信息标注发布时间", judge="scanner.timeline:judge_target", test=_TIMELINE),
    Rule("account.stale", "内容更新不及时", "medium",
         "本地规定：图文类账号每 {account_stale_days.text}、音视频类账号每 {account_stale_days.video}至少更新一次",
         "按要求及时更新账号内容", thresholds=(_T + "account_stale_days.text", _T + "account_stale_days.video"),
         judge="scanner.timeline:judge_target", test=_TIMELINE),
    Rule("account.stale_veto", "内容不更新（两周内无更新）", "veto",
         f"{S19}单项否决：政务新媒体超过 {{account_stale_veto_days}}未更新", "立即恢复更新",
         thresholds=(_T + "account_stale_veto_days",), judge="scanner.timeline:judge_target", test=_TIMELINE),
    Rule("account.zombie", "僵尸账号", "high",
         "僵尸账号：超过 {zombie_candidate_days}（疑似）或 {zombie_days}未更新",
         "及时更新内容，无力维护的按程序关停注销", thresholds=(_T + "zombie_candidate_days", _T + "zombie_days"),
         judge="scanner.timeline:judge_target", test=_TIMELINE),
    Rule("account.empty", "空壳账号", "high", f"{G123}：空壳账号", "开展运营或按程序注销",
         judge="scanner.timeline:judge_target", test=_TIMELINE),
    Rule("account.gone", "账号已注销或不存在", "high", "管理底数不清：账号已注销、被封禁或不存在",
         "核实账号状态：已注销或关停的账号应在名录中注销并向主管部门报备；被封禁的账号应查明原因并整改",
         judge="crawler.accounts:_gone_hit", test="tests/test_accounts.py"),
    Rule("timeline.backdated", "疑似伪造发稿日期（补发旧日期）", "medium",
         f"{S19}：伪造发稿日期（标注日期早于已采集时段 {{backdated_days}}以上）", "核实发布日期，如实标注",
         thresholds=(_T + "backdated_days",), judge="scanner.timeline:judge_new_items", test=_TIMELINE, case_row=True),
    Rule("timeline.future_date", "发稿日期晚于采集时间", "high",
         f"{S19}：伪造发稿日期（发布日期晚于采集时间 {{future_date_tolerance_minutes}}以上）", "核实并更正发布时间",
         thresholds=(_T + "future_date_tolerance_minutes",), judge="scanner.timeline:judge_new_items", test=_TIMELINE,
         case_row=True),
    Rule("timeline.reprint_late", "未按时转载", "medium", "本地规定：上级要闻应在 {reprint_hours}内转载",
         "及时转载上级重要稿件",
         thresholds=(_T + "reprint_hours", _T + "reprint_similarity", _T + "reprint_lookback_hours"),
         judge="scanner.timeline:judge_reprints", test=_TIMELINE),
    # ------------------------------------------------------------------ registry (scanner/registry_rules.py)
    Rule("registry.duplicate_account", "管理底数不清", "low",
         f"{G123}：一个单位在同一平台原则上只开设一个账号",
         "按照“一个单位原则上在同一平台只开设一个政务新媒体账号”的要求（国办发〔2018〕123号），整合或关停多余账号，并更新名录",
         judge="scanner.registry_rules:duplicate_accounts", test="tests/test_registry.py"),
    Rule("registry.outsourced_unqualified", "违规外包", "high",
         "违规外包：内容运营外包给不具备新闻信息服务资质的单位",
         "收回内容运营或改由具备资质的单位承担；确已具备资质的，在名录中将“是否具备资质”填为“是”",
         judge="scanner.registry_rules:outsourced_unqualified", test="tests/test_registry.py"),
    # ------------------------------------------------------------------ operations (admins only)
    Rule("collector.error", "采集异常", "info", "采集异常（仅通知管理员；采集失败不作为账号不更新的证据）",
         "检查订阅源、登录状态或访问频率", thresholds=("alerts.collector_failures",),
         judge="govwatch.alerts.policy:collector_alerts", test="tests/test_alerts.py", audience="admin"),
)
RULES: dict[str, Rule] = {r.id: r for r in RULES_LIST}
# Lexicon categories that feed other rules rather than being findings themselves.
AUXILIARY_CATEGORIES = {"link.allow": "可信网站（放行）", "leader.current": "领导人姓名职务（供 expression.leader 核对）",
                        "leader.fallen": "落马官员（供 expression.leader 核对）",
                        "link.gambling_page": "赌博网站用语（供 site.link_hijacked 判断外链页面）"}


def rule(rule_id: str) -> Rule:
    """The rule of ``rule_id``; a lexicon category the catalogue does not name gets its family's
    basis, measure and case type (label and severity then come from its lexicon file)."""
    found = RULES.get(rule_id)
    if found is not None:
        return found
    fam = FAMILIES.get(rule_id.split(".", 1)[0])
    if fam is None:
        return Rule(rule_id, rule_id, "medium", "", "按要求整改")
    return Rule(rule_id, rule_id, "medium", fam.basis, fam.measure, fam.case_type, judge=fam.judge, test=fam.test)


def label(rule_id: str) -> str:
    return rule(rule_id).label


def severity(rule_id: str) -> str:
    return rule(rule_id).severity


# What a few judges record as a finding's match is a code (it is part of the finding's identity, so
# it stays as it is in the store); people see these words instead.
_MATCH_WORDS = {
    ("site.down_now", "down"): "网站当前无法访问",
    ("site.unreachable", "unreachable"): "一周内无法访问的比例超标",
}
_MILLISECONDS = re.compile(r"^(\d+)\s*ms$")


def display_match(rule_id: str, match: str) -> str:
    """A finding's match as people read it: codes in Chinese, everything else unchanged."""
    if not match:
        return ""
    word = _MATCH_WORDS.get((rule_id, match))
    if word:
        return word
    ms = _MILLISECONDS.match(match)
    if ms:
        return f"{ms.group(1)} 毫秒"
    return match


def display_category(rule_id: str, category: str = "") -> str:
    """The 问题类型 people see: the finding's category, or the catalogue's label for its rule."""
    return category or label(rule_id)


# ----------------------------------------------------------------------------- thresholds in text

_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)?)\}")


def format_threshold(key: str, value) -> str:
    """A threshold value with its unit from the settings table: 180 天, 5%, 3 秒."""
    spec = SPECS.get(key)
    unit = spec.unit if spec else ""
    if unit == "比例":
        return f"{float(value):.0%}"
    if unit == "毫秒":
        value = int(value)
        return f"{value // 1000} 秒" if value % 1000 == 0 else f"{value} 毫秒"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value} {unit}" if unit in ("天", "小时", "分钟", "秒", "次", "个", "分", "倍") else f"{value}{unit}"


def _value(thresholds: dict, name: str):
    node = thresholds
    for part in name.split("."):
        node = node[part]
    return node


def render(text: str, r: Rule, thresholds: dict | None = None) -> str:
    """``text`` of rule ``r`` with its threshold placeholders filled from ``thresholds`` (the
    settings' thresholds, resolved for a target where that matters; None: the defaults)."""
    th = DEFAULTS["thresholds"] if thresholds is None else thresholds

    def fill(m: re.Match) -> str:
        name = m.group(1)
        key = "thresholds." + name
        if key not in r.thresholds:
            raise KeyError(f"{r.id}: placeholder {{{name}}} is not one of its declared thresholds")
        try:
            value = _value(th, name)
        except (KeyError, TypeError):
            value = _value(DEFAULTS["thresholds"], name)
        return format_threshold(key, value)

    return _PLACEHOLDER.sub(fill, text)


def basis_text(rule_id: str, thresholds: dict | None = None) -> str:
    r = rule(rule_id)
    return render(r.basis, r, thresholds)


def measure_text(rule_id: str, thresholds: dict | None = None) -> str:
    r = rule(rule_id)
    return render(r.measure, r, thresholds)


def case_type(rule_id: str, category: str = "") -> str:
    """问题案例汇总 问题类型: a category that already is one of the six, else the rule's."""
    if category in CASE_TYPES:
        return category
    return rule(rule_id).case_type


def case_row_rules() -> tuple[str, ...]:
    return tuple(r.id for r in RULES_LIST if r.case_row)


# ----------------------------------------------------------------------------- listing

def describe(settings=None) -> list[dict]:
    """Every rule as a dict, texts rendered with ``settings``' thresholds (None: the defaults)."""
    th = settings.data["thresholds"] if settings is not None else None
    out = []
    for r in RULES_LIST:
        values = {}
        for key in r.thresholds:
            section, _, name = key.partition(".")
            data = settings.data if settings is not None else DEFAULTS
            try:
                values[key] = _value(data[section], name)
            except (KeyError, TypeError):
                values[key] = _value(DEFAULTS[section], name)
        out.append({"id": r.id, "label": r.label, "severity": r.severity, "basis": render(r.basis, r, th),
                    "measure": render(r.measure, r, th), "case_type": r.case_type,
                    "thresholds": values, "judge": r.judge, "test": r.test, "lexicon": r.lexicon,
                    "audience": r.audience})
    return out


def render_markdown() -> str:
    from govwatch.models import SEVERITY_LABELS

    out = ["# Rule reference", "",
           "Generated from the rule catalogue `govwatch/rules.py` (`python -m govwatch.rules > docs/rules.md`); "
           "a test fails when this file is stale. Texts are shown with the default thresholds; alerts and "
           "exports fill in the values in force (`govwatch rules` prints them for the current configuration).",
           "", "Each rule: label (问题类型), default severity, basis (依据), rectification measure (整改措施), "
           "case type of the export's 问题案例汇总 sheet, threshold settings, the function that judges it and "
           "the test file that triggers it.", ""]
    family = None
    for row in describe():
        fam = row["id"].split(".", 1)[0]
        if fam != family:
            family = fam
            out += ["", f"## {fam}", ""]
        sev = SEVERITY_LABELS.get(row["severity"], row["severity"])
        out += [f"### `{row['id']}` {row['label']}", "",
                f"- severity: {row['severity']} ({sev})",
                f"- basis: {row['basis']}",
                f"- measure: {row['measure']}",
                f"- case type: {row['case_type']}"]
        if row["thresholds"]:
            out.append("- thresholds: " + ", ".join(f"`{k}` = {format_threshold(k, v)}"
                                                    for k, v in row["thresholds"].items()))
        if row["lexicon"]:
            out.append(f"- lexicon: {row['lexicon']}")
        out += [f"- judged by: `{row['judge']}`", f"- tested in: `{row['test']}`", ""]
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover - regeneration helper
    print(render_markdown(), end="")
