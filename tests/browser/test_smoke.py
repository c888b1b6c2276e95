"""Browser smoke test: real Chromium (Debian's) through Playwright against a live server."""

from __future__ import annotations

import re


def test_sign_up_log_out_log_in_and_switch_to_dutch(page, live_server) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    from accounts.models import ApiKey, User

    # An unprefixed URL sends the browser to its localised page.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/en/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Know what your cards are worth")

    # Sign up through allauth's form.
    page.locator("nav.site-nav").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/en/accounts/signup/"))
    page.fill("#id_email", "smoke@example.com")
    page.fill("#id_username", "SmokeTester")
    page.fill("#id_password1", "a-long-secret-99")
    page.fill("#id_password2", "a-long-secret-99")
    page.locator("form.stack-form button[type=submit]").click()
    nav = page.locator("nav.site-nav")  # its accessible name is translated too
    expect(nav.get_by_role("link", name="My account")).to_be_visible()
    assert User.objects.filter(username="smoketester", email="smoke@example.com").exists()

    # My account: create an API key, shown once in full.
    nav.get_by_role("link", name="My account").click()
    expect(page).to_have_url(re.compile(r"/en/account/$"))
    expect(page.get_by_text("smoketester").first).to_be_visible()
    page.fill("#id_name", "smoke key")
    page.get_by_role("button", name="Create key").click()
    raw = page.get_by_label("New API key").input_value()
    assert raw.startswith("csm_")
    assert ApiKey.objects.get(user__username="smoketester").prefix == raw[:12]

    # Log out (a POST form), then log in again.
    nav.get_by_role("button", name="Log out").click()
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    nav.get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/en/accounts/login/"))
    page.fill("#id_login", "smoketester")
    page.fill("#id_password", "a-long-secret-99")
    page.locator("form.stack-form button[type=submit]").click()
    expect(nav.get_by_role("link", name="My account")).to_be_visible()

    # Switch to Dutch: same page, other language.
    nav.get_by_role("button", name="Nederlands").click()
    expect(page).to_have_url(re.compile(r"/nl/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Weet wat je kaarten waard zijn")
    expect(nav.get_by_role("link", name="Mijn account")).to_be_visible()
    expect(nav.get_by_role("button", name="Afmelden")).to_be_visible()

    # The choice sticks: an unprefixed URL now goes to the Dutch page.
    page.goto("/account/")
    expect(page).to_have_url(re.compile(r"/nl/account/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn account")
