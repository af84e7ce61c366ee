"""Registry files (底数): load targets from YAML, CSV or XLSX and export them again.

File handling; the one function given a store is ``judge_registry``, which records the registry
checks' findings after an import and closes (已整改) those a re-import has fixed. Offices keep their registry in an Excel 政务新媒体统计表, so
spreadsheets are read by their Chinese column headers (or the English field names of
``govwatch.models.Target``); ``HEADERS`` is the full list and ``docs/registry.md`` documents it
for users.

A file with any bad row imports nothing: ``load_targets`` raises ``RegistryError`` listing every
problem with its row (spreadsheet row as Excel shows it, header = row 1; YAML entry and line) and
the field as the file names it. ``export_targets`` writes the same headers back, so an exported
file loads to identical targets.

Compact cell syntax of spreadsheets (a cell holds several entries separated by ``;`` or a line
break, the parts of one entry separated by ``|``):

- 栏目: ``名称|网址|类型|最长间隔天数``; 类型 and 天数 are optional, a missing 类型 is inferred
  from the name (``infer_column_kind``).
- 负责人 / 联系人: ``姓名|邮箱|电话|时段|渠道:邮件,群机器人|webhook网址``; after the name the parts
  may come in any order and are recognised by their shape.

The package: fields.py, read.py, write.py, judge.py."""
from __future__ import annotations

from govwatch.registry.fields import (  # noqa: F401
    BLANK_MARKS, CHANNEL_ALIASES, CHANNEL_LABELS, COLUMN_KIND_ALIASES, COLUMN_KIND_LABELS, CONTACT_ROLES,
    CONTENT_TYPE_ALIASES, EXPORT_HEADERS, EXPORT_KEYS, FALSE_WORDS, HEADERS, HEADER_SEARCH_ROWS,
    LIST_HEADERS, MAINTENANCE_ALIASES, OPERATOR_ALIASES, OWNER_LEVEL_ALIASES, PLATFORM_ALIASES, Problem,
    RegistryError, SPREADSHEET_SUFFIXES, TRUE_WORDS, YAML_SUFFIXES, derive_id, header_key,
    infer_column_kind, parse_bool, parse_channel, parse_column_kind, parse_columns, parse_contacts,
    parse_content_type, parse_date, parse_email, parse_emails, parse_hours, parse_id, parse_maintenance,
    parse_maintenance_kind, parse_mapping, parse_operator_type, parse_owner_level, parse_phone,
    parse_platform, parse_robot, parse_tags, parse_url,
)
from govwatch.registry.read import Registry, load_targets, read_registry  # noqa: F401
from govwatch.registry.write import (  # noqa: F401
    export_targets, neutralise, spreadsheet_cells, target_rows, target_status,
)
from govwatch.registry.judge import REGISTRY_RULES, RegistryJudgment, judge_registry  # noqa: F401
