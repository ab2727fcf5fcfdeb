"""Take a screenshot of the page of `corridor serve` in headless Chromium, for the README.

Usage: python scripts/screenshot_serve.py [--out docs/img/serve.png] [--chromium /usr/bin/chromium]

Starts the server in this process on a free loopback port over the bundled dataset, types
"chong" and picks Chongqing, types "umm" and picks Umm Qasr, asks for 2 alternatives, waits for
the table and the route layers, and saves the page at 1280x860. Every request to another origin
is refused, so the picture shows what works offline. Refuses to save a blank picture.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def pick(page, param: str, typed: str, value: str) -> None:
    page.locator(f"#f-{param}").press_sequentially(typed, delay=40)
    option = page.locator(f'[data-param={param}] li[data-value="{value}"]')
    option.wait_for()
    option.click()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "serve.png")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from PIL import Image, ImageStat
    from playwright.sync_api import sync_playwright

    from corridor.server import running

    outside: list[str] = []
    with running() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 860})

            def only_the_server(route) -> None:
                if route.request.url.startswith(base + "/"):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            context.route("**/*", only_the_server)
            page = context.new_page()
            page.goto(base + "/")
            page.locator("body[data-ready=true]").wait_for()
            pick(page, "origin", "chong", "Chongqing")
            pick(page, "destination", "umm", "IQUQR")
            page.fill("#f-alternatives", "2")
            page.click("#go")
            page.locator("body[data-answered=route]").wait_for()
            page.wait_for_timeout(600)  # the map's fit animation
            shot = page.screenshot()
        finally:
            browser.close()
    image = Image.open(io.BytesIO(shot))
    spread = ImageStat.Stat(image.convert("L")).stddev[0]
    if spread < 20:
        raise SystemExit(f"the screenshot looks blank (grey-level spread {spread:.1f}): not saved")
    if outside:
        raise SystemExit(f"the page asked for {len(outside)} outside resource(s), e.g. {outside[0]}: not saved")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(shot)
    print(f"{args.out} ({image.width}x{image.height}, grey-level spread {spread:.1f})")


if __name__ == "__main__":
    main()
