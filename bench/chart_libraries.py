"""How the portal's chart library was chosen (issue 14): the same 50,000-point time
series drawn by uPlot, Chart.js (all points, and with its min-max decimation) and Apache
ECharts in Debian's headless Chromium; the size each ships, minified and gzipped; the time
of a first render and of one pan step (a new x range redrawn). Prints a table.

Not part of `make bench`: it fetches the three packages with `npm pack` (the npm registry)
into a temporary directory. The portal itself ships only the chosen library, vendored.

    python bench/chart_libraries.py [--runs 7]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import tarfile
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
PACKAGES = {"uplot@1.6.32": "package/dist/uPlot.iife.min.js",
            "chart.js@4.6.1": "package/dist/chart.umd.min.js",
            "echarts@6.1.0": "package/dist/echarts.min.js"}
CASES = [("uPlot", "uplot@1.6.32"), ("Chart.js", "chart.js@4.6.1"),
         ("Chart.js, min-max decimation", "chart.js@4.6.1"), ("ECharts", "echarts@6.1.0")]

DRAW = r"""async (lib) => {
  const N = 50000, x = new Float64Array(N), y = new Float64Array(N);
  let v = 100;
  for (let i = 0; i < N; i++) { x[i] = 1.7e9 + i * 60; v += Math.sin(i * 12.9898) * 3; y[i] = v; }
  document.body.innerHTML = '<div id=c style="width:1200px;height:400px"></div>';
  const el = document.getElementById('c');
  const t0 = performance.now();
  let chart, drawn = null;
  if (lib === 'uPlot') {
    await new Promise((res) => { chart = new uPlot({ width: 1200, height: 400,
      series: [{}, { stroke: 'blue' }], hooks: { draw: [() => (drawn ? drawn() : res())] } },
      [x, y], el); });
  } else if (lib.startsWith('Chart.js')) {
    const canvas = document.createElement('canvas'); el.appendChild(canvas);
    const points = Array.from(x, (xi, i) => ({ x: xi, y: y[i] }));
    await new Promise((res) => { chart = new Chart(canvas, { type: 'line',
      data: { datasets: [{ data: points, borderWidth: 1, pointRadius: 0 }] },
      options: { animation: false, parsing: false, normalized: true, responsive: false,
        plugins: { legend: { display: false },
                   decimation: { enabled: lib.includes('decimation'), algorithm: 'min-max' } },
        scales: { x: { type: 'linear' } } },
      plugins: [{ id: 'done', afterRender: () => res() }] }); });
  } else {
    chart = echarts.init(el, null, { renderer: 'canvas' });
    const data = Array.from(x, (xi, i) => [xi * 1000, y[i]]);
    await new Promise((res) => { chart.on('finished', res); chart.setOption({ animation: false,
      xAxis: { type: 'time' }, yAxis: { type: 'value' },
      series: [{ type: 'line', showSymbol: false, sampling: 'lttb', data }] }); });
  }
  const render = performance.now() - t0;
  const t1 = performance.now();
  for (let s = 0; s < 20; s++) {
    const lo = x[0] + (x[N - 1] - x[0]) * s / 40, hi = lo + (x[N - 1] - x[0]) / 2;
    if (lib === 'uPlot') {
      await new Promise((res) => { drawn = res; chart.setScale('x', { min: lo, max: hi }); });
    } else if (lib.startsWith('Chart.js')) {
      chart.options.scales.x.min = lo; chart.options.scales.x.max = hi; chart.update('none');
    } else {
      chart.setOption({ xAxis: { min: lo * 1000, max: hi * 1000 } });
      chart.getZr().refreshImmediately();
    }
  }
  return { render, pan: (performance.now() - t1) / 20 };
}"""


def fetch(directory: Path) -> dict[str, Path]:
    files = {}
    for package, member in PACKAGES.items():
        subprocess.run(["npm", "pack", "--silent", package], cwd=directory, check=True,
                       capture_output=True)
        [tarball] = directory.glob(package.split("@")[0].replace(".", "*") + "-*.tgz")
        with tarfile.open(tarball) as archive:
            archive.extract(member, directory / package, filter="data")
        files[package] = directory / package / member
    return files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = fetch(Path(tmp))
        sizes = {p: (f.stat().st_size, len(gzip.compress(f.read_bytes(), 9)))
                 for p, f in files.items()}
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=FLAGS)
            for _ in range(args.runs):  # interleaved: each run draws every case once
                for label, package in CASES:
                    page = browser.new_page(viewport={"width": 1300, "height": 600})
                    page.set_content("<html><body></body></html>")
                    page.add_script_tag(path=str(files[package]))
                    result = page.evaluate(DRAW, label)
                    results.setdefault(label, []).append(result)
                    page.close()
            browser.close()
    print(f"{'library':30} {'min KB':>7} {'gzip KB':>8} {'render ms':>10} {'pan ms':>8}"
          f"   (medians of {args.runs}, 50,000 points)")
    for label, package in CASES:
        size, zipped = sizes[package]
        render = statistics.median(r["render"] for r in results[label])
        pan = statistics.median(r["pan"] for r in results[label])
        print(f"{label:30} {size / 1024:7.1f} {zipped / 1024:8.1f} {render:10.1f} {pan:8.1f}")


if __name__ == "__main__":
    main()
