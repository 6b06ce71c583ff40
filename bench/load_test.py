"""A classroom on one host: N visitors press Train at once; how fast, how fair, how long a wait.

Starts `streamlit run app.py` on a loopback port and drives N browser sessions (contexts in one
headless Chromium, each its own Streamlit session) that open different links, choose *Full
speed*, and press Train one after another as fast as the browser allows. After `--seconds` of
play every session is read from its own page (`window.__mlpLive`: the epoch shown, and the
scheduler's service time of its job) and paused. For each N it reports:

- epochs per second per session (median and worst; the links differ, so these differ too);
- each session's share of the trainer: the seconds of work the scheduler gave its job in the
  window (the frame's `served_s`: training, evaluation and its frames) / the window; fairness
  is the worst share over an even split of what all sessions got (the goal: ≥ 0.5);
- the worst wait from a session's click (as its page receives it) to its first new frame;
- the server's resident memory (VmRSS) at the end, and errors (console errors, failed requests,
  exceptions on the page).

The hostile mix: one session on the most expensive link the default (hosted) limits allow,
the others on the default set-up; the default sessions' share against an even split.

    python3 bench/load_test.py [--sessions 1,4,8,16] [--seconds 15] [--no-hostile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from page_speed import CHROMIUM, CHROMIUM_ARGS, SHOTS, TIMEOUT_MS, app_server
from playwright.sync_api import Page, sync_playwright

# Different data, networks and batch sizes: one class's links.
LINKS = [
    "",
    "dataset=xor&hidden=8,8&activation=relu",
    "dataset=spiral&hidden=8,8,8&features=x1,x2,x1sq,x2sq,x1x2,sin_x1,sin_x2",
    "dataset=moons&hidden=16,16&optimizer=adam&lr=0.01",
    "dataset=gauss&hidden=4&batch_size=1",
    "dataset=circle&hidden=6,6,6&activation=relu&batch_size=32",
    "dataset=plane&hidden=8&batch_size=5",
    "dataset=sine&hidden=16,16",
]
# The heaviest set-up a visitor can open under the hosted limits.
HOSTILE = "dataset=spiral&n_samples=5000&hidden=64,64,64&batch_size=1"
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
READ_JS = """() => { const L = window.__mlpLive, f = L && L.frame;
  const c = f ? f.header.cards : {};
  return {t: performance.now(), epoch: f ? f.header.epoch : 0, status: f ? f.header.status : '',
          served_s: f ? f.header.served_s : 0,
          first: (window.__first || null)}; }"""
# From the click as the page receives it (a capturing listener: before the app's own) to the
# first frame that shows a new epoch. Playwright's own work before the click (finding the
# button, waiting for it to be still) is not the visitor's wait, and is left out.
WATCH_JS = """() => { const L = window.__mlpLive, e0 = +L.root.dataset.epoch;
  window.__first = null; window.__clicked = null;
  document.addEventListener("click", () => { if (window.__clicked === null)
    window.__clicked = performance.now(); }, {capture: true});
  new MutationObserver(() => {
    if (window.__first === null && window.__clicked !== null && +L.root.dataset.epoch > e0)
      window.__first = performance.now() - window.__clicked;
  }).observe(L.root, {attributes: true});
}"""


def link(i: int) -> str:
    """Session i's link: the class's links in turn, each later round on another data seed."""
    query = LINKS[i % len(LINKS)]
    seed = i // len(LINKS)
    return "&".join(q for q in (query, f"data_seed={seed}" if seed else "") if q)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_session(browser, base_url: str, query: str, problems: list[str]) -> Page:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
    page.goto(f"{base_url}/?{query}", timeout=TIMEOUT_MS)
    page.wait_for_selector(APP_IDLE, state="attached", timeout=TIMEOUT_MS)
    page.wait_for_function("() => window.__mlpLive && window.__mlpLive.stats.painted > 0",
                           timeout=TIMEOUT_MS)
    page.locator(".st-key-pace button", has_text="Full speed").first.click()
    page.wait_for_selector(APP_IDLE, state="attached", timeout=TIMEOUT_MS)
    return page


def press_train(page: Page) -> None:
    page.evaluate(WATCH_JS)
    page.locator(".st-key-train button").first.click()


def run_classroom(browser, base_url: str, pid: int, queries: list[str], seconds: float) -> dict:
    problems: list[str] = []
    pages = [open_session(browser, base_url, q, problems) for q in queries]
    try:
        for page in pages:
            press_train(page)
        time.sleep(1.0)  # every session has started: measure from here
        start = [p.evaluate(READ_JS) for p in pages]
        time.sleep(seconds)
        end = [p.evaluate(READ_JS) for p in pages]
        rss = rss_mb(pid)
        exceptions = sum(p.locator('[data-testid="stException"]').count() for p in pages)
        for page in pages:
            if page.evaluate("() => window.__mlpLive.frame.header.playing"):
                page.locator(".st-key-train button").first.click()
    finally:
        for page in pages:
            page.context.close()
    sessions = []
    for q, a, b in zip(queries, start, end):
        wall = (b["t"] - a["t"]) / 1000
        sessions.append({"query": q, "epochs_s": (b["epoch"] - a["epoch"]) / wall,
                         "share": (b["served_s"] - a["served_s"]) / wall,
                         "first_s": None if b["first"] is None else b["first"] / 1000})
    return {"sessions": sessions, "rss_mb": rss, "problems": problems, "exceptions": exceptions}


def summary(n: int, r: dict) -> str:
    s = r["sessions"]
    rates = [x["epochs_s"] for x in s]
    shares = [x["share"] for x in s]
    firsts = [x["first_s"] for x in s]
    worst_first = "never" if None in firsts else f"{max(firsts):.2f}"
    even = sum(shares) / len(shares)
    fair = min(shares) / even if even > 0 else 0.0
    return (f"| {n} | {statistics.median(rates):.0f} | {min(rates):.0f} | "
            f"{statistics.median(shares):.2f} | {fair:.2f} | {worst_first} | "
            f"{r['rss_mb']:.0f} | {len(r['problems']) + r['exceptions']} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,4,8,16", help="comma-separated N")
    parser.add_argument("--seconds", type=float, default=15.0, help="play time per N")
    parser.add_argument("--no-hostile", action="store_true", help="skip the hostile mix")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.sessions.split(",") if n.strip()]
    SHOTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    procs: list = []
    rows, hostile = [], None
    with app_server(SHOTS / "load_server.log", started=procs) as base_url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        pid = procs[0].pid
        for n in counts:
            rows.append((n, run_classroom(browser, base_url, pid, [link(i) for i in range(n)],
                                          args.seconds)))
        if not args.no_hostile:
            hostile = run_classroom(browser, base_url, pid, [HOSTILE] + [""] * 7, args.seconds)
        browser.close()
    print(f"command: {' '.join([os.path.relpath(sys.executable), *sys.argv])}")
    print(f"{os.cpu_count()} CPUs, 1-min load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; {args.seconds:g} s of play per row\n")
    print("| sessions | epochs/s per session (median) | worst | share of the trainer per "
          "session (median) | worst share / even split | worst click → first frame (s) | "
          "server RSS (MB) | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for n, r in rows:
        print(summary(n, r))
    for n, r in rows:
        firsts = ", ".join("never" if x["first_s"] is None else f"{x['first_s']:.2f}"
                           for x in r["sessions"])
        print(f"  N={n}: click → first frame, in the order clicked (s): {firsts}")
    for n, r in rows:
        for p in r["problems"][:3]:
            print(f"  N={n} problem: {p}")
    if hostile:
        s = hostile["sessions"]
        total = sum(x["share"] for x in s)
        fair = total / len(s)
        defaults = [x["share"] for x in s[1:]]
        print(f"\nHostile mix (one session on `{HOSTILE}`, seven on the default): the heavy "
              f"session's share {s[0]['share']:.2f}, the default sessions' {min(defaults):.2f}"
              f"–{max(defaults):.2f}, i.e. {min(defaults) / fair:.0%} to "
              f"{max(defaults) / fair:.0%} of an even split of the {total:.2f} trained; worst "
              f"first frame {max((x['first_s'] or 99) for x in s):.2f} s; "
              f"errors {len(hostile['problems']) + hostile['exceptions']}.")


if __name__ == "__main__":
    main()
