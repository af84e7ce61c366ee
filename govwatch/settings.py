"""Settings: defaults, then an optional ``govwatch.toml``, then ``GOVWATCH_*`` environment variables.

Every setting is declared once in ``TABLE`` below, with its default, unit and a one-line help text.
``DEFAULTS`` (the nested dict existing callers read) is built from it; ``govwatch settings`` prints
it with the current value and where that value came from, and ``deploy/govwatch.example.toml`` and
``docs/settings.md`` are generated from it (``render_example_toml`` / ``render_markdown``; tests fail
when the committed copies are stale).

With no file at all everything runs on the embedded default: SQLite and snapshots under ``./var/``.
Imports nothing of the project.
"""
from __future__ import annotations

import copy
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Spec:
    """One setting: dotted key (``crawl.timeout``), default, unit ("" when it has none), help text,
    and optionally the value the example configuration shows instead of the default."""
    key: str
    default: Any
    unit: str
    help: str
    example: Any = None

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0] if "." in self.key else ""


_S = Spec
TABLE: tuple[Spec, ...] = (
    # ------------------------------------------------------------------ top level
    _S("db", "sqlite:///var/govwatch.db", "URL",
       "数据库：sqlite:///路径（内置，默认）或 mongodb://主机:27017/govwatch",
       example="sqlite:////var/lib/govwatch/var/govwatch.db"),
    _S("var_dir", "var", "目录", "快照、日志、导出材料所在目录（默认数据库也随之放在这里）",
       example="/var/lib/govwatch/var"),
    _S("lexicon_dirs", [], "目录列表", "额外的词库目录，合并到内置词库之上"),
    _S("timezone", "Asia/Shanghai", "时区", "显示和按天计算所用的时区"),
    _S("admin_emails", [], "邮箱列表",
       "管理员邮箱：提醒发送失败、采集持续失败、无人值班时的抄送", example=["wangxinban@example.gov.cn"]),
    _S("roster", "", "文件", "值班表（CSV 或 YAML，按日期排班），空：即时提醒只发给责任单位",
       example="/etc/govwatch/roster.csv"),
    # ------------------------------------------------------------------ crawl
    _S("crawl.concurrency", 16, "个", "同时进行的请求数（全部站点合计）"),
    _S("crawl.per_domain", 4, "个", "同一域名同时进行的请求数"),
    _S("crawl.timeout", 15, "秒", "单个请求的超时时间"),
    _S("crawl.max_page_bytes", 5 * 1024 * 1024, "字节", "单个页面的最大字节数，超出的部分不下载"),
    _S("crawl.obey_robots", True, "开关", "是否遵守 robots.txt"),
    _S("crawl.verify_tls", True, "开关", "是否校验 HTTPS 证书"),
    _S("crawl.max_pages_per_target", 500, "页", "每次采集每个网站最多抓取的页面数"),
    _S("crawl.list_pages", 30, "页",
       "每个栏目列表最多翻几页（识别数字页码、尾页、共 N 页、TRS、大汉 jpage 等翻页方式；再次采集时遇到全部已采集过的列表页即停止）"),
    _S("crawl.user_agent", "Mozilla/5.0 (compatible; govwatch/0.1)", "文本",
       "采集时使用的 User-Agent（只能用 ASCII：HTTP 头是 latin-1）"),
    _S("crawl.subprocess_timeout", 3600, "秒", "一次采集子进程运行超过此时长即终止并记为失败"),
    # distributed crawling on Celery (govwatch/distributed.py)
    _S("crawl.broker_url", "", "URL",
       "多机采集的消息队列（redis://主机:6379/0；RabbitMQ 用 amqp://，并设置 coordination_url）："
       "设置后调度器每个监测对象放一个任务，由各机器上的 govwatch worker 采集；空：单机采集",
       example="redis://redis.example.gov.cn:6379/0"),
    _S("crawl.coordination_url", "", "URL", "消息队列不是 Redis 时，保存采集锁和轮次的 Redis"),
    _S("crawl.visibility_timeout", 4 * 3600, "秒",
       "采集节点宕机后，它正在采集的任务经过此时长交给其他节点；应长于最长的一次采集"),
    _S("crawl.lock_seconds", 60, "秒", "每个监测对象采集锁的有效期（采集进行中自动续期）"),
    _S("crawl.lock_retry_seconds", 30, "秒", "监测对象正被其他节点采集时，隔多久再试"),
    _S("crawl.max_crawls_per_host", 2, "个", "所有节点合计，同一主机同时采集的监测对象数上限"),
    _S("crawl.task_retries", 2, "次", "采集任务失败后的重试次数（间隔按 task_retry_backoff 加倍）"),
    _S("crawl.task_retry_backoff", 60, "秒", "采集任务第一次重试前的等待时间"),
    _S("crawl.retries", 1, "次", "请求失败后的重试次数"),
    _S("crawl.autothrottle", True, "开关", "是否按站点响应速度自动调节抓取间隔"),
    _S("crawl.autothrottle_start_delay", 0.5, "秒", "自动调节的起始抓取间隔"),
    _S("crawl.autothrottle_target", 2.0, "个", "自动调节的目标：每个站点平均同时进行的请求数"),
    _S("crawl.account_delay", 1.0, "秒", "采集账号时同一主机两次请求的最短间隔"),
    _S("crawl.max_delay", 60.0, "秒", "主机限流后退避加倍的上限间隔"),
    _S("crawl.weibo_delay", 3.0, "秒", "微博两次请求的最短间隔（微博限流严格）"),
    _S("crawl.weibo_backoff", 30.0, "秒", "微博限流后的退避时间"),
    _S("crawl.weibo_pages", 3, "页", "每个微博账号最多翻几页"),
    _S("crawl.weibo_cookie", "", "文本", "已登录的微博 Cookie（过期时显示为“登录失效”）；放在环境变量中"),
    _S("crawl.weibo_user_agent", "", "文本", "微博接口使用的 User-Agent；空：内置的手机浏览器标识"),
    _S("crawl.wechat_blocked_limit", 2, "次", "微信公众号连续被拦截几次后暂停本轮采集"),
    _S("crawl.host_refusals", 3, "次", "同一主机连续拒绝几次后本轮不再请求它"),
    _S("crawl.account_workers", 4, "个", "同时采集的账号数"),
    _S("crawl.feed_entries", 50, "条", "每个 RSS/Atom 源最多读取的条目数"),
    _S("crawl.attachment_hosts", [], "域名列表",
       "除本网站和名录中为该对象登记的附件域名（采集设置 attachment_hosts）外，允许下载附件的域名"),
    _S("crawl.trusted_hosts", [], "域名或地址列表",
       "允许访问的内网主机（内网镜像等）；名录对象本身所在的内网地址无需列出。其余本机、内网、保留地址一律不访问"),
    # ------------------------------------------------------------------ thresholds: timeliness
    _S("thresholds.homepage_stale_days", 14, "天", "首页超过此天数未更新即单项否决"),
    _S("thresholds.column_stale_days.news", 14, "天", "动态要闻类栏目超过此天数未更新即单项否决"),
    _S("thresholds.column_stale_days.notice", 180, "天", "通知公告类栏目超过此天数未更新即单项否决"),
    _S("thresholds.column_stale_days.policy", 180, "天", "政策文件类栏目超过此天数未更新即单项否决"),
    _S("thresholds.column_stale_days.overview", 365, "天", "概况信息类栏目超过此天数未更新即单项否决"),
    _S("thresholds.column_warn_ratio", 0.8, "比例", "已过期限的这一比例即提示“即将超期”"),
    _S("thresholds.column_stale_veto_count", 5, "个", "超期未更新的栏目达到此数即单项否决"),
    _S("thresholds.column_empty_veto_count", 5, "个", "空白栏目达到此数即单项否决"),
    _S("thresholds.account_stale_days.text", 7, "天", "图文类账号超过此天数未更新即“更新不及时”"),
    _S("thresholds.account_stale_days.video", 10, "天", "音视频类账号超过此天数未更新即“更新不及时”"),
    _S("thresholds.account_stale_veto_days", 14, "天", "账号超过此天数未更新即单项否决"),
    _S("thresholds.zombie_candidate_days", 90, "天", "账号超过此天数未更新即“疑似僵尸”"),
    _S("thresholds.zombie_days", 365, "天", "账号超过此天数未更新即“僵尸账号”"),
    _S("thresholds.reprint_hours", 12, "小时", "转载上级重要稿件晚于原发超过此时长即“转载不及时”"),
    _S("thresholds.reprint_similarity", 0.8, "比例", "标题相似度达到此值即视为转载同一稿件"),
    _S("thresholds.reprint_lookback_hours", 72, "小时", "在原发后多长时间内查找转载"),
    _S("thresholds.backdated_days", 3, "天", "标注的发布日期早于首次采集超过此天数即“倒填日期”"),
    _S("thresholds.future_date_tolerance_minutes", 60, "分钟", "允许的时钟误差，超过才算“未来日期”"),
    _S("thresholds.crawl_max_age_hours", 72, "小时", "最近一次成功采集早于此时长则不作时效判断（结论为未知）"),
    _S("thresholds.by_platform", {}, "表", "按平台覆盖上述阈值，例如 {weibo = {account_stale_days = 3}}"),
    _S("thresholds.by_content_type", {}, "表",
       "按内容类型覆盖上述阈值，例如 {video = {zombie_candidate_days = 120}}（名录中单个对象的规则最后覆盖）"),
    # ------------------------------------------------------------------ thresholds: availability
    _S("thresholds.unreachable_share", 0.05, "比例", "统计窗口内探测失败的比例达到此值即单项否决"),
    _S("thresholds.unreachable_window_days", 7, "天", "不可用率的统计窗口"),
    _S("thresholds.unreachable_min_probes", 20, "次", "统计窗口内探测次数少于此数不判断不可用率"),
    _S("thresholds.down_consecutive", 3, "次", "连续探测失败达到此数即“网站无法访问”"),
    _S("thresholds.slow_ms", 3000, "毫秒", "首页打开用时超过此值即“首页访问慢”"),
    _S("thresholds.tls_expiring_days", 14, "天", "HTTPS 证书在此天数内过期即提醒"),
    _S("thresholds.probe_timeout", 15, "秒", "可用性探测的超时时间"),
    _S("thresholds.dark_link_blocklist", [], "域名列表",
       "暗链黑名单：隐藏链接指向这些域名（含子域名）时直接单项否决，否则按链接文字判断（涉赌涉黄或商业推广为否决，其余为严重、待人工核实）"),
    # ------------------------------------------------------------------ thresholds: site pages
    _S("thresholds.defaced_change_floor", 0.7, "比例", "首页内容变化至少达到此比例才可能判为被篡改"),
    _S("thresholds.defaced_sigmas", 3.0, "倍", "首页变化超过以往平均变化加此倍数的标准差才判为被篡改"),
    _S("thresholds.defaced_min_spread", 0.05, "比例", "计算上一项时标准差至少按此值计"),
    _S("thresholds.defaced_min_history", 3, "次",
       "以往采集少于此次数时不按变化幅度的统计判断首页篡改，改用下一项（与上次正常采集相比）"),
    _S("thresholds.defaced_early_change", 0.85, "比例",
       "以往采集次数不足时（第二、三次采集），首页内容与上次正常采集相比变化达到此比例即判为被篡改"),
    _S("thresholds.defaced_history_crawls", 10, "次", "判断首页篡改时参照最近多少次采集的变化"),
    _S("thresholds.hijacked_gambling_terms", 3, "个",
       "友情链接指向的网页出现不同的博彩用语（词库 link.gambling_page）达到此数即判为外链被劫持"),
    _S("thresholds.interaction_unanswered_days", 90, "天", "网民留言超过此天数未答复即“互动回应差”"),
    _S("thresholds.interaction_window_days", 365, "天", "只看此天数以内提出的留言"),
    # ------------------------------------------------------------------ thresholds: content
    _S("thresholds.clickbait_score", 3, "分", "标题党评分达到此值即报（词库短语 2 或 3 分，连续标点 2 分，悬念省略号、表情符号各 1 分）"),
    _S("thresholds.clickbait_points.phrase", 2, "分", "标题党评分：每个标题党短语的分值（词库文件可给出自己的分值，如“震惊”3 分）"),
    _S("thresholds.clickbait_points.punctuation", 2, "分", "标题党评分：连续感叹号、问号的分值"),
    _S("thresholds.clickbait_points.ellipsis", 1, "分", "标题党评分：悬念省略号的分值"),
    _S("thresholds.clickbait_points.emoji", 1, "分", "标题党评分：表情符号的分值"),
    _S("thresholds.emoji_title_count", 2, "个", "标题中表情符号达到此数即“庸俗化、娱乐化表达”"),
    _S("thresholds.emoji_text_count", 5, "个", "正文中表情符号达到此数即“庸俗化、娱乐化表达”"),
    _S("thresholds.condemnation_window", 40, "字",
       "违禁、广告、涉密标识类词语前后此字数内（同一句中）出现“打击、严禁、不法分子、诱饵”等词，"
       "或保密管理、政府惠民招商等公务用语，即降为人工复核"),
    # ------------------------------------------------------------------ deadlines
    _S("deadlines_days.veto", 1, "天", "单项否决问题的整改期限"),
    _S("deadlines_days.high", 3, "天", "严重问题的整改期限"),
    _S("deadlines_days.medium", 5, "天", "一般问题的整改期限"),
    _S("deadlines_days.low", 5, "天", "轻微问题的整改期限"),
    _S("deadlines_days.info", 5, "天", "待复核问题的整改期限"),
    # ------------------------------------------------------------------ schedule
    _S("schedule.probe_minutes", 30, "分钟", "每隔多久探测一次全部网站的可用性"),
    _S("schedule.crawl_hours", 6, "小时", "每隔多久增量采集一次网站和账号"),
    _S("schedule.nightly", "02:00", "时:分", "每晚的僵尸账号、时效检测和网站规则"),
    _S("schedule.recheck", "03:00", "时:分", "每天复查待整改问题的时间"),
    _S("schedule.flush_seconds", 60, "秒", "每隔多久发送一次提醒发件箱"),
    _S("schedule.digest", "08:30", "时:分", "每天给各单位发送汇总的时间"),
    _S("schedule.monthly_export", "06:00", "时:分", "每月 1 日导出上月检查材料的时间"),
    _S("schedule.misfire_grace_seconds", 3600, "秒", "错过不超过此时长的任务（关机、繁忙）仍补跑一次"),
    _S("schedule.heartbeat_seconds", 30, "秒", "单实例锁的刷新间隔"),
    _S("schedule.lock_ttl_seconds", 90, "秒", "服务停止后其锁超过此时长即可被接管"),
    _S("schedule.shutdown_grace_seconds", 20, "秒", "收到停止信号后给运行中采集子进程的时间"),
    # ------------------------------------------------------------------ periods (govwatch/periods.py)
    _S("periods.probe_minutes", 10, "分钟",
       "敏感时期内探测全部网站可用性的间隔（声明时用 --probe-minutes 可为单个时期另定；不会长于 schedule.probe_minutes）"),
    _S("periods.urgent_severities", ["veto"], "级别列表",
       "敏感时期内这些级别的问题一律立即提醒：不进每日汇总，不受联系人提醒时段限制"),
    # ------------------------------------------------------------------ smtp
    _S("smtp.host", "127.0.0.1", "主机", "邮件服务器", example="smtp.example.gov.cn"),
    _S("smtp.port", 25, "端口", "邮件服务器端口", example=465),
    _S("smtp.security", "none", "文本", "none（本机中继）、starttls（通常 587 端口）或 ssl（通常 465 端口）", example="ssl"),
    _S("smtp.sender", "govwatch@localhost", "邮箱", "发件人地址", example="govwatch@example.gov.cn"),
    _S("smtp.sender_name", "政务网站监测", "文本", "发件人名称"),
    _S("smtp.user", "", "文本", "登录用户名；放在环境变量 GOVWATCH_SMTP__USER 中，不要写进配置文件"),
    _S("smtp.password", "", "文本", "登录密码；放在环境变量 GOVWATCH_SMTP__PASSWORD 中，不要写进配置文件"),
    _S("smtp.timeout", 30, "秒", "连接邮件服务器的超时时间"),
    _S("smtp.cafile", "", "文件", "邮件服务器证书的私有 CA（默认：系统证书）"),
    # ------------------------------------------------------------------ alerts
    _S("alerts.max_attempts", 8, "次", "发送失败后最多尝试的次数，之后记为失败并告知管理员一次"),
    _S("alerts.backoff_seconds", 60, "秒", "首次重试前的等待时间，每失败一次加倍"),
    _S("alerts.backoff_max_seconds", 21600, "秒", "重试等待时间的上限"),
    _S("alerts.mute_days", 7, "天", "同一页面同一规则在此天数内不重复提醒"),
    _S("alerts.review_before_send", False, "开关", "发给单位的提醒是否先经 `govwatch alerts release` 审核"),
    _S("alerts.immediate_severities", ["veto", "high"], "级别列表", "立即提醒的问题级别"),
    _S("alerts.digest_severities", ["medium", "low"], "级别列表", "进入每日汇总的问题级别"),
    _S("alerts.leader_severities", ["veto"], "级别列表", "单位负责人立即收到的问题级别（联系人收到全部立即提醒）"),
    _S("alerts.collector_failures", 3, "次", "账号或网站连续采集失败此次数后告知管理员"),
    _S("alerts.sweep_days", 3, "天", "发送任务回查此天数内未提醒的严重问题"),
    _S("alerts.batch", 200, "条", "每次发送最多处理的提醒数"),
    _S("alerts.webhook_timeout", 10, "秒", "群机器人请求的超时时间"),
    _S("alerts.console_url", "", "URL", "控制台地址，用于提醒中的链接，例如 https://govwatch.example.gov.cn"),
    # ------------------------------------------------------------------ console
    _S("console.hosts", [], "主机名列表",
       "网页值班台除 127.0.0.1、localhost 外接受的 Host 名称（防 DNS 重绑定），即用户在 nginx 前访问所用的域名",
       example=["jiance.example.gov.cn"]),
    _S("console.session_hours", 12, "小时", "会话无操作多久后失效"),
    _S("console.session_max_hours", 72, "小时", "会话自登录起最长有效时间"),
    _S("console.login_max_failures", 5, "次", "同一用户名或同一地址连续登录失败此次数后暂停登录"),
    _S("console.login_lock_minutes", 15, "分钟", "登录失败过多后暂停的时间（自最近一次失败起算）"),
    _S("console.page_size", 50, "条", "问题清单每页条数（接口默认值；接口每页最多 500 条）"),
    _S("console.live_seconds", 5, "秒", "值班台实时推送检查新问题的间隔"),
    _S("console.registry_cache_seconds", 30, "秒", "责任单位范围和单位筛选所用名录的缓存时间"),
    _S("console.new_hours", 24, "小时", "值班台列出多少小时内新发现的单项否决和严重问题"),
    _S("console.secure_cookies", False, "开关", "Cookie 仅经 HTTPS 发送（nginx 提供 TLS 时打开）", example=True),
    # ------------------------------------------------------------------ ocr (crawler/ocr.py)
    _S("ocr.enabled", True, "开关", "识别图片和扫描件中的文字（需安装 pip install -e '.[ocr]'）；关闭后不读图片"),
    _S("ocr.min_side", 200, "像素", "宽或高小于此值的图片（图标、按钮）不识别"),
    _S("ocr.min_bytes", 4096, "字节", "小于此字节数的图片不识别"),
    _S("ocr.max_aspect", 6.0, "比例", "长边与短边之比超过此值的图片（横幅、竖条）不识别"),
    _S("ocr.max_pixels", 40_000_000, "像素", "像素总数超过此值的图片不解码（防解压炸弹）"),
    _S("ocr.max_side", 2400, "像素", "识别前把图片长边缩小到此值以内"),
    _S("ocr.max_image_bytes", 10 * 1024 * 1024, "字节", "单张图片的最大下载字节数"),
    _S("ocr.min_score", 0.5, "比例", "识别置信度低于此值的文字行舍弃"),
    _S("ocr.max_pdf_pages", 30, "页", "每个扫描件 PDF 最多识别的页数"),
    _S("ocr.pdf_scale", 2.0, "倍", "渲染无文字层的 PDF 页面时的缩放倍数（2 约为 144 dpi）"),
    _S("ocr.max_images_per_crawl", 300, "张", "每次采集每个网站最多识别的图片数，其余留到下一轮"),
    _S("ocr.max_seconds_per_crawl", 600, "秒", "每次采集每个网站用于文字识别的时间上限，其余留到下一轮"),
    _S("ocr.doc_timeout", 30, "秒", "读取 .doc / .wps 附件（catdoc、antiword）的超时时间"),
    _S("ocr.doc_max_bytes", 20 * 1024 * 1024, "字节", "超过此字节数的 .doc / .wps 附件不读取"),
    # ------------------------------------------------------------------ parse
    _S("parse.max_html_chars", 8_000_000, "字符", "单个网页最多解析的字符数，超出部分不解析"),
    _S("parse.max_html_depth", 512, "层",
       "网页标签嵌套的最大层数，更深的标签被展平（文字保留），避免解析器丢弃其后的全部内容（16–2031）"),
    _S("parse.max_scan_chars", 2_000_000, "字符", "一次内容扫描最多检查的正文字符数，超出部分不扫描"),
    _S("parse.max_attachment_chars", 2_000_000, "字符", "每个附件最多读取的文字数"),
    _S("parse.max_zip_entries", 10_000, "个", "DOCX、XLSX（zip 格式）内最多的文件数，超出则不读取"),
    _S("parse.max_zip_bytes", 200 * 1024 * 1024, "字节", "DOCX、XLSX 解压后（声明大小）合计的上限，超出则不读取"),
    _S("parse.max_zip_ratio", 100, "倍", "DOCX、XLSX 内单个文件的最大压缩比（大于 1 MB 时），超出视为压缩炸弹"),
    _S("parse.max_xml_bytes", 64 * 1024 * 1024, "字节", "DOCX、XLSX 内单个 XML 最多读取的字节数"),
    _S("parse.max_feed_bytes", 8 * 1024 * 1024, "字节",
       "单个 RSS/Atom/JSON 订阅源最多解析的字节数，超出部分不解析（被截断的最后一条舍弃）"),
    _S("parse.max_feed_entries", 1_000, "条", "单个订阅源最多解析的条目数（采集时另受 crawl.feed_entries 限制）"),
    _S("parse.max_sheet_rows", 100_000, "行", "表格每个工作表最多读取的行（按行号，不看声明的范围）"),
    _S("parse.max_sheet_cols", 1_000, "列", "表格最多读取的列"),
    _S("parse.max_sheet_cells", 2_000_000, "个", "每个表格文件最多读取的单元格数"),
    _S("parse.max_pdf_pages", 500, "页", "PDF 最多读取的页数"),
    _S("parse.max_pdf_page_bytes", 2 * 1024 * 1024, "字节", "PDF 单页内容流（解压后）的上限，超出的页不读取"),
    _S("parse.max_pdf_inflation", 40, "倍",
       "PDF 单页内容流解压后与压缩前之比的上限（超过 16 KB 时），超出的页视为异常不读取"),
    _S("parse.worker_timeout", 60, "秒", "读取一个附件或草稿的子进程限时，超时则该文件记为无法读取"),
    _S("parse.worker_memory_mb", 1024, "MB", "读取附件的子进程内存上限，超出则该文件记为无法读取"),
    # ------------------------------------------------------------------ logging
    _S("logging.level", "INFO", "文本", "日志级别：DEBUG、INFO、WARNING、ERROR"),
    _S("logging.file", "logs/govwatch.log", "文件", "日志文件（位于 var_dir 下，按大小轮转）"),
    _S("logging.max_bytes", 10 * 1024 * 1024, "字节", "单个日志文件的最大字节数"),
    _S("logging.backups", 5, "个", "保留的旧日志文件数"),
)
SPECS: dict[str, Spec] = {s.key: s for s in TABLE}


def _nested(specs) -> dict:
    out: dict = {}
    for s in specs:
        *parents, leaf = s.key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = copy.deepcopy(s.default)
    return out


DEFAULTS: dict = _nested(TABLE)
SECTION_HELP = {
    "": "",
    "crawl": "采集",
    "thresholds": "判定阈值（可按平台、内容类型覆盖，名录中单个对象的 rules 最后覆盖）",
    "deadlines_days": "各级别问题的整改期限",
    "schedule": "调度",
    "periods": "敏感时期（govwatch periods add 声明的日期范围内，按北京时间整天生效）",
    "smtp": "邮件",
    "alerts": "提醒",
    "console": "网页值班台",
    "ocr": "图片和扫描件文字识别，旧版 Word/WPS 附件",
    "parse": "解析上限：网页、附件和草稿的大小、层数、页数和读取进程的时间与内存",
    "logging": "日志",
}

# GOVWATCH_<NAME> for top-level keys; nested keys joined by "__", e.g. GOVWATCH_SMTP__HOST or
# GOVWATCH_THRESHOLDS__COLUMN_STALE_DAYS__NOTICE.
LIST_KEYS = {"lexicon_dirs", "admin_emails"}
SOURCE_LABELS = {"default": "默认", "file": "配置文件", "environment": "环境变量"}


class SettingsError(ValueError):
    pass


@dataclass
class Settings:
    data: dict = field(default_factory=lambda: copy.deepcopy(DEFAULTS))
    source: str = ""
    sources: dict = field(default_factory=dict)  # dotted key -> "file" | "environment" (absent: default)
    active_periods: list = field(default_factory=list)  # sensitive periods in force (govwatch.periods)

    def __getattr__(self, name: str):
        data = self.__dict__.get("data", {})
        if name in data:
            return data[name]
        raise AttributeError(name)

    @property
    def var_path(self) -> Path:
        return Path(self.data["var_dir"])

    @property
    def snapshot_dir(self) -> Path:
        return self.var_path / "snapshots"

    def threshold(self, name: str):
        return self.data["thresholds"][name]

    def get(self, key: str, default=None):
        """The current value of a dotted key (``thresholds.column_stale_days.notice``)."""
        return lookup(self.data, key, default)

    def source_of(self, key: str) -> str:
        return self.sources.get(key, "default")


def lookup(data: dict, key: str, default=None):
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def _merge(base: dict, over: dict) -> dict:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v
    return base


def _coerce(raw: str, like):
    if isinstance(like, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on", "是")
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    if isinstance(like, list):
        return [p for p in raw.replace(os.pathsep, ",").split(",") if p.strip()]
    if isinstance(like, dict):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(raw) from exc
        if not isinstance(value, dict):
            raise ValueError(raw)
        return value
    return raw


def _mark(sources: dict, path: str, source: str) -> None:
    """Record where the value at dotted ``path`` came from: the setting it is part of, or every
    setting under it."""
    for key in SPECS:
        if key == path or key.startswith(path + ".") or path.startswith(key + "."):
            sources[key] = source


def _mark_file(sources: dict, over: dict, prefix: str = "") -> None:
    for k, v in over.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and path not in SPECS:
            _mark_file(sources, v, path + ".")
        else:
            _mark(sources, path, "file")


def load_settings(path: str | os.PathLike | None = None, env: dict | None = None) -> Settings:
    env = os.environ if env is None else env
    data = copy.deepcopy(DEFAULTS)
    sources: dict = {}
    source = ""
    path = path or env.get("GOVWATCH_CONFIG")
    candidate = Path(path) if path else Path("govwatch.toml")
    if path and not candidate.exists():
        raise SettingsError(f"配置文件不存在：{candidate}")
    if candidate.exists():
        try:
            with open(candidate, "rb") as fh:
                over = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"配置文件 {candidate} 格式错误：{exc}") from exc
        _merge(data, over)
        _mark_file(sources, over)
        source = str(candidate)
    for key, raw in env.items():
        if not key.startswith("GOVWATCH_") or key == "GOVWATCH_CONFIG" or key.startswith("GOVWATCH_TEST_"):
            continue
        parts = key[len("GOVWATCH_"):].lower().split("__")
        if ".".join(parts) not in SPECS:
            continue  # not a setting (GOVWATCH_PROGRESS and the like)
        node = data
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                break
        if not isinstance(node, dict):
            continue
        try:
            node[parts[-1]] = _coerce(raw, node.get(parts[-1], ""))
        except ValueError as exc:
            raise SettingsError(f"环境变量 {key} 的值无效：{raw!r}") from exc
        _mark(sources, ".".join(parts), "environment")
    if isinstance(data["lexicon_dirs"], str):
        data["lexicon_dirs"] = [data["lexicon_dirs"]]
    if data["db"] == DEFAULTS["db"] and data["var_dir"] != DEFAULTS["var_dir"]:
        # the default database follows the var directory
        data["db"] = "sqlite:///" + str(Path(data["var_dir"]) / "govwatch.db")
    return Settings(data=data, source=source, sources=sources)


# ----------------------------------------------------------------------------- describing settings

def describe(settings: Settings | None = None) -> list[dict]:
    """Every setting with its default, current value and source, in table order."""
    settings = settings or Settings()
    return [{"key": s.key, "default": s.default, "value": settings.get(s.key, s.default),
             "source": settings.source_of(s.key), "unit": s.unit, "help": s.help} for s in TABLE]


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def _comment(s: Spec) -> str:
    return f"# {s.help} [{s.unit}]"


EXAMPLE_HEADER = """\
# govwatch example configuration. Copy to govwatch.toml (or point GOVWATCH_CONFIG at it).
# GENERATED from the settings table in govwatch/settings.py: edit the table, then run
#   python -m govwatch.settings --example > deploy/govwatch.example.toml
# Every key shown is optional; the value shown is the default unless this example suggests one for a
# typical deployment. `govwatch settings` prints the value in force and where it came from.
# Every key can be overridden by an environment variable: GOVWATCH_<KEY> for top-level keys,
# GOVWATCH_<SECTION>__<KEY> for nested ones (e.g. GOVWATCH_SMTP__HOST,
# GOVWATCH_THRESHOLDS__COLUMN_STALE_DAYS__NOTICE).
# Secrets do NOT belong here: set GOVWATCH_SMTP__USER and GOVWATCH_SMTP__PASSWORD in the environment
# (systemd: /etc/govwatch/secrets.env, see deploy/govwatch.service).
"""


def render_example_toml() -> str:
    lines = [EXAMPLE_HEADER]
    section = None
    for s in TABLE:
        if s.section != section:
            section = s.section
            if section:
                lines.append(f"\n[{section}]  # {SECTION_HELP.get(section, '')}")
        key = s.key.split(".", 1)[1] if section else s.key
        value = s.example if s.example is not None else s.default
        lines.append(_comment(s))
        lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def _md(value) -> str:
    return "`" + toml_value(value).replace("|", "\\|") + "`"


def render_markdown() -> str:
    out = ["# Settings reference", "",
           "Generated from the settings table in `govwatch/settings.py` (`python -m govwatch.settings "
           "--markdown > docs/settings.md`); a test fails when this file is stale.", "",
           "Values come from the defaults below, then `govwatch.toml` (or the file `GOVWATCH_CONFIG` "
           "names), then environment variables `GOVWATCH_<SECTION>__<KEY>`. `govwatch settings` "
           "prints each value in force and its source. Help texts are in Chinese, as the command "
           "prints them.", ""]
    section = None
    for s in TABLE:
        if s.section != section:
            section = s.section
            out += ["", f"## {section or 'top level'}", ""]
            if SECTION_HELP.get(section):
                out += [SECTION_HELP[section], ""]
            out += ["| key | default | unit | help |", "|---|---|---|---|"]
        out.append(f"| `{s.key}` | {_md(s.default)} | {s.unit} | {s.help.replace('|', '｜')} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover - regeneration helper
    import sys

    print(render_markdown() if "--markdown" in sys.argv else render_example_toml(), end="")
