"""Portal benchmark (issue 14): on the demo's store (30 days of simulated traffic), in
Debian's headless Chromium:

- time to first chart: navigation start → the first chart drawn (the portal's
  `callstats:first-chart` performance mark), cold (new browser context, empty cache) and
  warm (reload, files revalidated by ETag), for the Overview and the Traffic view;
- JS + CSS bytes transferred on a cold load (gzip as served; target ≤ 250 KB);
- render time of a 50,000-point series through the portal's own chart module (target
  ≤ 150 ms), and the time of one pan step (a new x range redrawn) on it.

Prints a table; asserts nothing.

    python bench/portal.py [--runs 7] [--days 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from callstats.http.app import create_app
from callstats.http.services import Services
from callstats.settings import Settings
from callstats.sim.demo_data import prepare_demo

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "bench-password"
PORT = 18091

RENDER_50K = """async () => {
  const { timeChart } = await import('/portal/chart.js');
  const N = 50000, t = new Array(N), v = new Array(N);
  let level = 40;
  for (let i = 0; i < N; i++) {
    t[i] = 1.7e9 + i * 60; level = Math.max(0, level + Math.sin(i * 12.9898) * 3); v[i] = level;
  }
  const box = document.createElement('div');
  box.style.width = '1200px';
  document.querySelector('main').prepend(box);
  const started = performance.now();
  const chart = timeChart({ title: 'bench', unit: 'calls', t, zone: 'UTC',
                            series: [{ label: 'calls', values: v }] });
  box.append(chart.figure);
  await new Promise((done) => { chart.mount(); chart.uplot.hooks.draw.push(done);
                                if (chart.figure.dataset.drawn) done(); });
  const render = performance.now() - started;
  const u = chart.uplot, span = t[N - 1] - t[0], pans = [];
  for (let s = 0; s < 20; s++) {
    const lo = t[0] + span * s / 40, began = performance.now();
    await new Promise((done) => {
      u.hooks.draw.push(done);
      u.setScale('x', { min: lo, max: lo + span / 2 });
    });
    pans.push(performance.now() - began);
  }
  chart.destroy(); box.remove();
  pans.sort((a, b) => a - b);
  return { render, pan: pans[10] };
}"""

ASSETS = """() => performance.getEntriesByType('resource')
  .filter((e) => /\\.(js|css)(\\?|$)/.test(e.name))
  .map((e) => ({ name: e.name, transfer: e.transferSize, encoded: e.encodedBodySize,
                 decoded: e.decodedBodySize }))"""

FIRST_CHART = """() => new Promise((done) => {
  const look = () => {
    const [mark] = performance.getEntriesByName('callstats:first-chart');
    if (mark) done(mark.startTime); else setTimeout(look, 20);
  };
  look();
})"""


def serve(days: int) -> tuple[Services, uvicorn.Server, dict[str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="callstats-bench-portal-"))
    settings = Settings(data_dir=tmp, jwt_secret="b" * 48, admin_token="bench",
                        maintenance_interval=0)
    services = Services.open(settings)
    started = time.monotonic()
    setup = prepare_demo(services, seed=7, days=days, now=time.time(), password=PASSWORD)
    print(f"demo store: {setup.history_cdrs:,} CDRs of {days} days "
          f"({time.monotonic() - started:.0f} s to build)")
    server = uvicorn.Server(uvicorn.Config(create_app(services=services), host="127.0.0.1",
                                           port=PORT, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    account = setup.world.demo_customer.accounts[0].uuid
    return services, server, {"overview": "/", "traffic": f"/traffic?account={account}"
                              "&range=24h&sampling=hour"}


SIGN_IN = """p => fetch('/api/rest/customer/v1/auth', {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({auth: {login: 'demo', password: p, cookie_auth: true}})})"""


@contextmanager
def fresh_page(browser: Browser, base: str, path: str) -> Iterator[tuple[Page, float]]:
    """`path` opened in a new context (empty cache), signed in through the API from a
    page that loads no JS or CSS; yields the page and its time to first chart (ms)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(base + "/portal/favicon.svg")
        page.evaluate(SIGN_IN, PASSWORD)
        page.goto(base + path)
        yield page, float(page.evaluate(FIRST_CHART))
    finally:
        context.close()


def visit(browser: Browser, base: str, path: str) -> tuple[float, float, list[dict]]:
    """(first chart cold, first chart after a reload, the JS and CSS files of the cold
    load) of a first visit to `path`."""
    with fresh_page(browser, base, path) as (page, cold):
        files = page.evaluate(ASSETS)
        page.reload()
        return cold, float(page.evaluate(FIRST_CHART)), files


def render_50k(browser: Browser, base: str, path: str, runs: int) -> tuple[list[float],
                                                                          list[float]]:
    with fresh_page(browser, base, path) as (page, _):
        results = [page.evaluate(RENDER_50K) for _ in range(runs)]
        return [r["render"] for r in results], [r["pan"] for r in results]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    services, server, paths = serve(args.days)
    base = f"http://127.0.0.1:{PORT}"
    rows: list[tuple[str, list[float]]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=FLAGS)
            for name, path in paths.items():
                visits = [visit(browser, base, path) for _ in range(args.runs)]
                rows.append((f"first chart, {name}, empty cache", [v[0] for v in visits]))
                rows.append((f"first chart, {name}, reload", [v[1] for v in visits]))
                if name == "traffic":
                    files = visits[-1][2]
            renders, pans = render_50k(browser, base, paths["traffic"], args.runs)
            browser.close()
    finally:
        server.should_exit = True
        time.sleep(0.5)
        services.close()

    print(f"\n{'measure':44} {'median':>9} {'min':>9} {'max':>9}  (ms; {args.runs} runs)")
    for label, values in rows + [("render 50,000-point series (target ≤ 150)", renders),
                                 ("pan step on it (new x range redrawn)", pans)]:
        print(f"{label:44} {statistics.median(values):9.1f} {min(values):9.1f} "
              f"{max(values):9.1f}")
    transferred = sum(f["transfer"] for f in files)
    encoded = sum(f["encoded"] for f in files)
    decoded = sum(f["decoded"] for f in files)
    print(f"\nJS + CSS of a first visit to the Traffic view: {len(files)} files, "
          f"{transferred / 1024:.1f} KB transferred ({encoded / 1024:.1f} KB gzipped bodies, "
          f"{decoded / 1024:.1f} KB uncompressed); target ≤ 250 KB")
    for f in sorted(files, key=lambda f: -f["encoded"])[:5]:
        print(f"  {f['encoded'] / 1024:7.1f} KB  {f['name'].replace(base, '')}")


if __name__ == "__main__":
    main()
