"""Account parsers on farm data: posts parsed per second, against the bare parse of the same bytes.

- WeChat: ``crawler.wechat.parse_wechat`` over every article page of the farm's WeChat accounts,
  against ``lxml.html.document_fromstring`` of the same pages (the floor: no parser can skip it);
- Weibo: ``crawler.weibo.parse_timeline`` over every timeline page of the farm's Weibo accounts
  (text stripped, dates read, counts parsed), against ``json.loads`` of the same answers;
- feeds: ``crawler.feeds.parse_feed`` over every RSS / Atom / JSON Feed document, against
  ``lxml.etree.fromstring`` / ``json.loads`` of the same documents.

The pages are fetched from the farm once, then parsed in memory (best of ``--repeat`` runs), so
the numbers are parsing alone. ``ratio`` is the parser's rate over the floor's rate (1.00 would
mean the parser costs nothing beyond the bare parse).

    python bench/accounts.py [--accounts 20] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone

import _util  # noqa: F401  (puts the project on sys.path)
from _util import peak_rss_mb, timed


def fetch_corpus(extra_accounts: int):
    import requests

    from govwatch.demo.farm import Farm

    now = datetime.now(timezone.utc).replace(microsecond=0)
    session = requests.Session()
    wechat, weibo, feeds = [], [], []
    with Farm(seed=7, sites=1, accounts=extra_accounts, defaults=False, now=now) as farm:
        acc = farm.accounts
        base = farm.base_url
        for a in acc.specs:
            if a.platform == "wechat":
                for k in range(acc.count(a)):
                    url = acc.wechat_url(a, k)
                    wechat.append((session.get(url, timeout=10).content, url))
                for fmt in ("rss", "atom", "json"):
                    feeds.append((session.get(acc.feed_url(a, fmt), timeout=10).content, fmt))
            elif a.platform == "weibo":
                for page in range(1, 4):
                    url = f"{base}/weibo/api/container/getIndex?containerid=107603{a.uid}&page={page}"
                    weibo.append(session.get(url, timeout=10).content)
            elif a.platform == "feed":
                feeds.append((session.get(acc.feed_url(a), timeout=10).content, "rss"))
    return now, wechat, weibo, feeds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=20, help="extra farm accounts beside the default seven")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import lxml.html
    from lxml import etree

    from crawler.feeds import parse_feed
    from crawler.wechat import parse_wechat
    from crawler.weibo import parse_timeline

    now, wechat, weibo, feeds = fetch_corpus(args.accounts)

    # WeChat ------------------------------------------------------------------------------------
    parsed = [parse_wechat(body, url) for body, url in wechat]
    assert all(p.state == "live" and p.text and p.published_at for p in parsed)
    n_pages = len(wechat)
    wx_s = timed(lambda: [parse_wechat(body, url) for body, url in wechat], repeat=args.repeat)
    lx_s = timed(lambda: [lxml.html.document_fromstring(body) for body, _ in wechat], repeat=args.repeat)

    # Weibo -------------------------------------------------------------------------------------
    n_posts = sum(len(parse_timeline(body, now).posts) for body in weibo)
    assert n_posts > 0
    wb_s = timed(lambda: [parse_timeline(body, now) for body in weibo], repeat=args.repeat)
    js_s = timed(lambda: [json.loads(body) for body in weibo], repeat=args.repeat)

    # feeds -------------------------------------------------------------------------------------
    n_entries = sum(len(parse_feed(body, now=now).entries) for body, _ in feeds)
    fd_s = timed(lambda: [parse_feed(body, now=now) for body, _ in feeds], repeat=args.repeat)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    raw_s = timed(lambda: [json.loads(body) if fmt == "json" else etree.fromstring(body, parser)
                           for body, fmt in feeds], repeat=args.repeat)

    kb = sum(len(b) for b, _ in wechat) / max(1, n_pages) / 1024
    print(f"wechat: pages={n_pages} avg={kb:.0f}KB parse_wechat={n_pages / wx_s:,.0f} posts/s "
          f"lxml_parse={n_pages / lx_s:,.0f}/s ratio={lx_s / wx_s:.2f}")
    print(f"weibo: timeline_pages={len(weibo)} posts={n_posts} parse_timeline={n_posts / wb_s:,.0f} posts/s "
          f"json_loads={n_posts / js_s:,.0f} posts/s ratio={js_s / wb_s:.2f}")
    print(f"feeds: documents={len(feeds)} entries={n_entries} parse_feed={n_entries / fd_s:,.0f} entries/s "
          f"bare_parse={n_entries / raw_s:,.0f} entries/s ratio={raw_s / fd_s:.2f}")
    print(f"peak_rss={peak_rss_mb():.0f}MB")


if __name__ == "__main__":
    main()
