"""Browser speed of the running app: epochs per second and boundary redraws, as a user sees them.

The product's issue compares MLP Playground with TensorFlow Playground, which (built from its
source and measured in the same headless Chromium on these 2-core machines by the issue's author)
trains three set-ups at about 57, 21 and 33 epochs per second, redrawing every epoch. Target:
at least that rate on all three set-ups, at least 5x on the default one, the boundary redrawn at
least 5 times a second, and the first boundary within 1 s of pressing Train.

Method, per set-up (one fresh browser context and page load each, one shared server):

1. Start `streamlit run app.py` on a free port (as tests/conftest.py does) and open the set-up's
   link in headless Debian Chromium; wait until the script is idle and the main chart is drawn.
2. Install an in-page observer on the main area. The boundary is the `<image>` (the model's
   output as a PNG) in the first `stPlotlyChart` of the main area. The app gives every frame a
   new key, so Streamlit 1.67 replaces the chart's whole element and plotly.js builds a new
   graph div; frames replaced before plotly has drawn them never appear. One redraw = the first
   time that chart shows a (graph div, image) pair different from the last one, checked on every
   DOM mutation (MutationObserver, childList) and on plotly's `plotly_afterplot` of the current
   graph div (which catches in-place `Plotly.react` updates). Checked against a count of new
   graph divs: one redraw per drawn frame. `plotly_afterplot` alone is not a redraw counter: it
   fires once or twice per graph div (the second time for autosize). Each redraw is timestamped
   (performance.now) once the next frame has been produced (requestAnimationFrame, then
   setTimeout 0), i.e. when it can be on screen. The observer also notes when the main chart
   slot shows no boundary at all (old element removed, new one not yet drawn).
3. Click Train; a capturing click listener records the click time in the page's clock. For
   `--seconds` (10) poll the "Epoch" metric every 0.1 s. epochs/s = epochs shown at the end of
   the window / time since the click; if the Status metric says finished earlier, epochs done /
   time to the first reading that shows it.
4. From the observer: seconds from the click to the first drawn boundary, redraws per second in
   the window, and the median and max gap between redraws (the last gap runs to the window end,
   so a stall at the end counts). Save a screenshot into artifacts/bench/, click Stop.

    .venv/bin/python bench/page_speed.py [--seconds 10] [--only default,spiral,xor]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

REPO_ROOT = Path(__file__).resolve().parent.parent
SHOTS = REPO_ROOT / "artifacts" / "bench"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip
TIMEOUT_MS = 60_000

# name -> (link query, TF Playground epochs/s quoted in the issue, required ratio). xor asks for
# 8,000 epochs, not 10,000: 250 points x 10,000 epochs at batch 1 is 2.5 M optimizer steps, over
# the app's 2 M limit, and the app would then ignore both epochs and batch_size (batch 10, 200
# epochs). No set-up comes near its epoch count within the 10 s window.
SETUPS = {
    "default": ("epochs=10000", 57.0, 5.0),
    "spiral": ("dataset=spiral&hidden=8,8,8&features=x1,x2,x1sq,x2sq,x1x2,sin_x1,sin_x2"
               "&epochs=10000", 21.0, 1.0),
    "xor": ("dataset=xor&hidden=8,8&activation=relu&batch_size=1&epochs=8000", 33.0, 1.0),
}
MIN_REDRAWS_PER_S = 5.0
MAX_FIRST_BOUNDARY_S = 1.0

APP_CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAIN_IMAGE = '[data-testid="stMain"] [data-testid="stImage"] img'

OBSERVER_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const log = window.__bench = {clicks: [], seen: [], drawn: [], blank: []};
  const hooked = new WeakSet();
  const current = () => main.querySelector('[data-testid="stImage"] img');
  let lastSrc = current() ? current().currentSrc : null, blank = false;
  const loaded = (event) => {
    const src = event.target.currentSrc;
    if (!src || src === lastSrc) return;
    lastSrc = src;
    log.seen.push(performance.now());
    requestAnimationFrame(() => setTimeout(() => log.drawn.push(performance.now()), 0));
  };
  const check = () => {
    const img = current();
    const nothing = !img || !(img.complete || lastSrc);
    if (nothing !== blank) { blank = nothing; log.blank.push([performance.now(), blank]); }
    if (img && !hooked.has(img)) { hooked.add(img); img.addEventListener('load', loaded); }
  };
  check();
  new MutationObserver(check).observe(main, {childList: true, subtree: true, attributes: true,
                                              attributeFilter: ['src']});
  document.addEventListener('click', () => log.clicks.push(performance.now()), true);
}"""

READ_JS = """() => {
  const metric = label => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const l = m.querySelector('[data-testid="stMetricLabel"]');
      if (l && l.innerText.trim() === label) {
        const v = m.querySelector('[data-testid="stMetricValue"]');
        const d = m.querySelector('[data-testid="stMetricDelta"]');
        return [v ? v.innerText.trim() : '', d ? d.innerText.trim() : ''];
      }
    }
    return ['', ''];
  };
  return {t: performance.now(), epoch: metric('Epoch')[0], status: metric('Status')[0],
          rate: metric('Time per epoch')[1],
          exceptions: document.querySelectorAll('[data-testid="stException"]').length};
}"""


# ---- server and browser --------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def app_server(log_path: Path) -> Iterator[str]:
    """Run `streamlit run app.py` on a free port until the block ends; yield its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _healthy(base_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"streamlit did not become healthy; see {log_path}")
            time.sleep(0.25)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def open_setup(browser: Browser, url: str) -> Page:
    """A fresh context and page at `url`, idle, with the main chart drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_selector(APP_CONNECTED, state="attached", timeout=TIMEOUT_MS)
    page.wait_for_selector(APP_IDLE, state="attached", timeout=TIMEOUT_MS)
    page.wait_for_selector(MAIN_IMAGE, timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)  # let the other charts and fonts settle
    ignored = [t for t in page.locator('[data-testid="stAlert"]').all_inner_texts()
               if "ignored" in t]
    if ignored:
        raise SystemExit(f"{url}: the app ignored part of the link: {ignored}")
    return page


# ---- one measurement -----------------------------------------------------------------------
def _epoch(reading: dict) -> int:
    text = reading["epoch"].replace(",", "")
    return int(text) if text.isdigit() else 0


def _finished(reading: dict) -> bool:
    return reading["status"] in ("finished", "diverged")


def train_for(page: Page, seconds: float) -> dict:
    """Click Train, poll the Epoch metric for `seconds`; return readings and the observer log."""
    page.evaluate(OBSERVER_JS)
    before = page.evaluate(READ_JS)
    page.click(".st-key-train button")
    click = page.evaluate("window.__bench.clicks[0]")
    readings = []
    while True:
        reading = page.evaluate(READ_JS)
        readings.append(reading)
        if reading["t"] - click >= seconds * 1000 or _finished(reading):
            break
        time.sleep(0.1)
    page.wait_for_timeout(300)  # let a redraw in flight at the end land in the log
    log = page.evaluate("window.__bench")
    return {"click": click, "before": before, "readings": readings, "log": log}


def stop_training(page: Page) -> None:
    """Click Stop if training still runs, and wait until the script is idle."""
    stop = page.locator(".st-key-stop button")
    if stop.is_enabled():
        stop.click()
    page.wait_for_selector(APP_IDLE, state="attached", timeout=TIMEOUT_MS)


def measure(browser: Browser, base_url: str, name: str, seconds: float) -> dict:
    query = SETUPS[name][0]
    page = open_setup(browser, f"{base_url}/?{query}")
    try:
        raw = train_for(page, seconds)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))
        stop_training(page)
    finally:
        page.context.close()
    return summarize(name, raw)


# ---- figures -------------------------------------------------------------------------------
def _blank_ms(blank: list, start: float, end: float) -> tuple[float, float]:
    """Total and longest time (ms) in [start, end] that the main chart slot was blank."""
    total = longest = 0.0
    since = None
    for t, is_blank in [*blank, [end, False]]:
        t = min(max(t, start), end)
        if is_blank and since is None:
            since = t
        elif not is_blank and since is not None:
            total, longest, since = total + t - since, max(longest, t - since), None
    return total, longest


def summarize(name: str, raw: dict) -> dict:
    """Turn one set-up's readings and observer log into the table's figures (seconds)."""
    click, last, log = raw["click"], raw["readings"][-1], raw["log"]
    end = last["t"]
    epochs = _epoch(last) - _epoch(raw["before"])
    window = [t for t in log["drawn"] if click < t <= end]
    first = next((t for t in log["drawn"] if t > click), None)
    gaps = [b - a for a, b in zip(window, [*window[1:], end])]
    blank_total, blank_longest = _blank_ms(log["blank"], click, end)
    return {
        "name": name, "seconds": (end - click) / 1000, "epochs": epochs,
        "rate": epochs / ((end - click) / 1000), "finished": _finished(last),
        "first_s": (first - click) / 1000 if first is not None else None,
        "redraws": len(window), "redraws_per_s": len(window) / ((end - click) / 1000),
        "median_gap_s": statistics.median(gaps) / 1000 if gaps else None,
        "max_gap_s": max(gaps) / 1000 if gaps else None,
                "blank_s": blank_total / 1000, "longest_blank_s": blank_longest / 1000,
        "app_rate": last["rate"], "exceptions": last["exceptions"],
    }


# ---- report --------------------------------------------------------------------------------
def _f(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def print_table(rows: list[dict]) -> None:
    print("| set-up | epochs/s (page) | TF Playground epochs/s | ratio | first boundary after "
          "click (s) | boundary redraws/s | median gap (s) | max gap between redraws (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        tf = SETUPS[r["name"]][1]
        print(f"| {r['name']} | {r['rate']:.1f} | {tf:.0f} | {r['rate'] / tf:.2f} | "
              f"{_f(r['first_s'], '.2f')} | {r['redraws_per_s']:.1f} | "
              f"{_f(r['median_gap_s'], '.2f')} | {_f(r['max_gap_s'], '.2f')} |")


def print_details(rows: list[dict]) -> None:
    for r in rows:
        tf, need = SETUPS[r["name"]][1:]
        how = "finished early: epochs / time to finish" if r["finished"] else "still training"
        print(f"- {r['name']}: {r['epochs']:,} epochs in {r['seconds']:.2f} s ({how}); "
              f"{r['redraws']} boundary redraws; main chart blank {r['blank_s']:.2f} s in all, "
              f"longest {r['longest_blank_s']:.2f} s; app's own rate at the end: "
              f"{r['app_rate'] or '–'}; exceptions on page: {r['exceptions']}")
        checks = [(r["rate"] >= need * tf, f"epochs/s >= {need:g}x TF Playground"),
                  (r["first_s"] is not None and r["first_s"] <= MAX_FIRST_BOUNDARY_S,
                   f"first boundary <= {MAX_FIRST_BOUNDARY_S:g} s"),
                  (r["redraws_per_s"] >= MIN_REDRAWS_PER_S,
                   f"boundary redrawn >= {MIN_REDRAWS_PER_S:g}/s")]
        print("  targets: " + "; ".join(f"{text}: {'met' if ok else 'MISSED'}"
                                        for ok, text in checks))


def _git_state() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True,
                              text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--", "app.py", "playground")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted app changes" if dirty else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="training window per set-up")
    parser.add_argument("--only", default=",".join(SETUPS), help="comma-separated set-ups")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    if unknown := [n for n in names if n not in SETUPS]:
        parser.error(f"unknown set-up(s) {unknown}; choose from {list(SETUPS)}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    with app_server(SHOTS / "server.log") as base_url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        rows = [measure(browser, base_url, name, args.seconds) for name in names]
        version = browser.version
        browser.close()
    print(f"command: {' '.join([os.path.relpath(sys.executable), *sys.argv])}")
    print(f"Chromium {version} (headless, {CHROMIUM}); app at {_git_state()}; {os.cpu_count()} "
          f"CPUs, 1-min load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print_table(rows)
    print("\nTF Playground figures are the ones quoted in the product's issue (measured by its "
          "author in the same headless Chromium on these machines); we did not rebuild it here.")
    print(f"Screenshots at the end of each window: {SHOTS.relative_to(REPO_ROOT)}/<set-up>.png\n")
    print_details(rows)


if __name__ == "__main__":
    main()
