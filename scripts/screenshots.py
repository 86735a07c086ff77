"""Render screenshots of the main pages from the demo data into docs/screenshots/.

    make screenshots            # migrates a scratch SQLite database, loads the demo data, serves it

or, against a server you already run with the demo data:

    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8000

Each page is taken at a desktop (1280×800) and a phone (390×844) width, signed in as the demo
salesperson "anna" (the dashboard also as "manager").
"""

import argparse
import os
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "demo1234!"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def first_link(page, base: str, path: str, pattern: str) -> str | None:
    page.goto(f"{base}{path}")
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
        if re.fullmatch(pattern, href or ""):
            return href
    return None


def shoot(page, base: str, path: str, name: str, size: str) -> None:
    page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    target = OUT / f"{name}-{size}.png"
    page.screenshot(path=str(target), full_page=size == "desktop")
    print(f"  {target.relative_to(OUT.parent.parent)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    base = parser.parse_args().url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, locale="en-US")
            page = context.new_page()
            log_in(page, base, "anna")
            opportunity = first_link(page, base, "/opportunities/?status=in_progress", r"/opportunities/OP\d+/")
            company = first_link(page, base, "/contacts/?type=company", r"/contacts/CT\d+/")
            pages = [
                ("/", "dashboard"),
                ("/pipeline/", "board"),
                ("/opportunities/", "opportunity-list"),
                (opportunity, "opportunity-detail"),
                ("/contacts/", "contact-list"),
                (company, "company"),
                ("/tasks/", "tasks"),
            ]
            for path, name in pages:
                if path:
                    shoot(page, base, path, name, size)
            context.close()
            context = browser.new_context(viewport=viewport, locale="en-US")
            page = context.new_page()
            log_in(page, base, "manager")
            shoot(page, base, "/", "dashboard-manager", size)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
