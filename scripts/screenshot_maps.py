"""Take screenshots of the example maps in headless Chromium, for the README.

Usage: python scripts/screenshot_maps.py [--maps maps] [--out docs/img] [--chromium /usr/bin/chromium]

Each map in maps/ is opened offline (as tests/test_browser.py opens them), at 1280x800 and,
for the first route map, at 800x600 too (the legend folds away there), and saved as PNG.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = {  # map file -> [(png name, width, height)]
    "chongqing-umm-qasr.html": [("chongqing-umm-qasr.png", 1280, 800), ("chongqing-umm-qasr-800x600.png", 800, 600)],
    "chongqing-hong-kong.html": [("chongqing-hong-kong.png", 1280, 800)],
    "chongqing-singapore.html": [("chongqing-singapore.png", 1280, 800)],
    "network.html": [("network.png", 1280, 800)],
}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maps", type=Path, default=ROOT / "maps")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
        try:
            for name, shots in SHOTS.items():
                for png, width, height in shots:
                    context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
                    page = context.new_page()
                    page.goto((args.maps / name).resolve().as_uri())
                    page.wait_for_selector(".leaflet-container")
                    page.wait_for_function("() => document.querySelectorAll('.leaflet-map-pane svg path').length > 0")
                    page.wait_for_timeout(400)  # marker clusters settle
                    page.screenshot(path=str(args.out / png))
                    context.close()
                    print(args.out / png)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
