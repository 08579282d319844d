"""Drive the portal in headless Chromium (Debian's chromium + chromium-driver, selenium).

usage: portal_browser.py URL OUTBOX SCREENSHOT_DIR [AXE_JS]

Story: a second browser logs in as Anna (its session cookie changes at login); a form posted
without its CSRF token is refused; staff resets Anna's password; the temporary password is
read from the outbox; Anna logs in with it and cannot skip "set a new password" by typing
other URLs; the rules checklist ticks as she types and the show-password toggle works; a
weak password is refused with every reason; a good one logs her in; the second browser's
next request, to a page other than the one it was on, finds it logged out. Every page is
checked with axe-core (WCAG 2.1 A and AA rules) when AXE_JS names axe.min.js, and shot at
desktop, tablet and phone widths, where nothing may scroll sideways.
"""
import email
import glob
import json
import os
import sys
from email import policy

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

URL, OUTBOX, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
AXE = open(sys.argv[4], encoding="utf-8").read() if len(sys.argv) > 4 and sys.argv[4] else None
os.makedirs(SHOTS, exist_ok=True)
WIDTHS = {"desktop": (1100, 800), "tablet": (820, 1180), "phone": (390, 844)}
AXE_CHECKED = []


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1100,800",
                 "--lang=en-US"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def shots(driver, name):
    """The page at every width: saved, and nothing wider than the window."""
    for width_name, (width, height) in WIDTHS.items():
        driver.set_window_size(width, height)
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        check(overflow <= 0, "%s scrolls sideways by %spx at %s width" % (name, overflow, width_name))
        shot(driver, "%s-%s" % (name, width_name))
    driver.set_window_size(*WIDTHS["desktop"])


def accessible(driver, name):
    """No WCAG 2.1 A/AA violation that axe-core finds on the page as it is now."""
    if AXE is None:
        return
    driver.execute_script(AXE)
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))), e => done([{id: 'axe-error', help: String(e)}]));")
    check(not violations, "axe-core on %s: %s" % (name, json.dumps(violations, indent=1)))
    AXE_CHECKED.append(name)


def wait_until(driver, condition, message):
    """Wait (up to 10 s) for a page load after a click to satisfy `condition`."""
    try:
        WebDriverWait(driver, 10).until(lambda d: condition(d))
    except Exception:
        raise AssertionError(message + " (at " + driver.current_url + ")")


def session_id(driver):
    """The session cookie's value (plain http, so the unprefixed name)."""
    cookie = driver.get_cookie("portal_session")
    check(cookie is not None, "a session cookie is set")
    check(cookie.get("httpOnly"), "the session cookie is HttpOnly")
    return cookie["value"]


def login(driver, username, password):
    driver.get(URL + "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "submit").click()


def temporary_password():
    files = sorted(glob.glob(os.path.join(OUTBOX, "*.eml")))
    check(files, "no e-mail in the outbox")
    with open(files[-1], "rb") as f:
        message = email.message_from_binary_file(f, policy=policy.default)
    check("anna.berg" in str(message["To"]), "the newest e-mail is Anna's")
    text = message.get_body(preferencelist=("plain",)).get_content()
    check("anna.berg" not in text.split("Temporary password:")[0] + text.split("\n\n")[-1]
          and "Username:" not in text, "no username in the reset e-mail")
    for line in text.splitlines():
        if line.startswith("Temporary password: "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError("no temporary password in the e-mail")


def rules_met(driver):
    return {li.get_attribute("data-rule"): "met" in (li.get_attribute("class") or "")
            for li in driver.find_elements(By.CSS_SELECTOR, "#password-rules li")}


other = browser()
anna = browser()
try:
    # A second browser, logged in before the change; the login gives it a new session id.
    other.get(URL + "/login")
    accessible(other, "login")
    shots(other, "01-login")
    before_login = session_id(other)
    login(other, "anna.berg", "Anna-Start-2026")
    wait_until(other, lambda d: "Welcome, Anna Berg" in d.page_source, "second session logged in")
    check(session_id(other) != before_login, "the session cookie changes at login")
    accessible(other, "account")
    shots(other, "02-account")

    # A form posted without its CSRF token is refused and changes nothing.
    other.execute_script("document.querySelectorAll('form[action=\"/preferences\"] input[name=csrf]')"
                         ".forEach(e => e.remove());")
    other.find_element(By.ID, "save-preferences").click()
    wait_until(other, lambda d: "Invalid form token" in d.page_source, "a form without its token is refused")
    accessible(other, "form-refused")
    shot(other, "03-form-without-token-refused")
    other.get(URL + "/")
    wait_until(other, lambda d: "Welcome, Anna Berg" in d.page_source, "still logged in after the refusal")

    # "Forgot your password" looks right too.
    anna.get(URL + "/forgot")
    accessible(anna, "forgot")
    shots(anna, "04-forgot")

    # Staff picks the retailer, the right contact among several, and resets it.
    anna.get(URL + "/staff")
    shot(anna, "05-staff-act-as")
    anna.find_element(By.ID, "act-as").click()
    wait_until(anna, lambda d: d.find_elements(By.LINK_TEXT, "Corner Shop"), "retailers listed")
    anna.find_element(By.LINK_TEXT, "Corner Shop").click()
    wait_until(anna, lambda d: d.find_elements(By.ID, "contacts"), "contacts listed")
    rows = anna.find_elements(By.CSS_SELECTOR, "#contacts tr")
    check(len(rows) >= 3, "Corner Shop lists several contacts")
    row = [r for r in rows if "anna.berg" in r.text][0]
    row.find_element(By.XPATH, ".//button[text()='Reset password']").click()
    wait_until(anna, lambda d: "temporary password was e-mailed" in d.page_source, "staff sees the reset confirmation")
    check("Temporary password:" not in anna.page_source, "staff never sees the password")
    shot(anna, "06-staff-reset-done")

    # Anna logs in with the temporary password and must set a new one.
    temp = temporary_password()
    anna.delete_all_cookies()
    anna.get(URL + "/login")
    before_login = session_id(anna)
    login(anna, "anna.berg", temp)
    wait_until(anna, lambda d: d.current_url.endswith("/set-password"), "sent to set-new-password")
    with_ticket = session_id(anna)
    check(with_ticket != before_login, "the temporary-password login moved the session to a new id")

    # The forced change cannot be skipped by typing another URL.
    for path in ("/", "/change-password", "/staff", "/preferences", "/login"):
        anna.get(URL + path)
        wait_until(anna, lambda d: d.current_url.endswith("/set-password"), path + " leads back to set-new-password")
    check(session_id(anna) == with_ticket, "the detours kept the session")
    accessible(anna, "set-password")
    shots(anna, "07-set-new-password")

    # The rules tick as she types (in the page: nothing is sent), and the toggle shows it.
    field = anna.find_element(By.ID, "new_password")
    field.send_keys("anna")
    check(rules_met(anna) == {"length": False, "letter": True, "digit": False}, "checklist after 'anna': %s" % rules_met(anna))
    toggle = anna.find_element(By.CSS_SELECTOR, "button[data-toggle=new_password]")
    check(toggle.is_displayed(), "the show-password toggle is shown")
    toggle.click()
    check(field.get_attribute("type") == "text" and toggle.get_attribute("aria-pressed") == "true", "shown")
    shot(anna, "08-password-shown")
    toggle.click()
    check(field.get_attribute("type") == "password", "hidden again")

    anna.find_element(By.ID, "submit").click()
    wait_until(anna, lambda d: d.find_elements(By.ID, "password-errors"), "violations shown")
    errors = anna.find_element(By.ID, "password-errors").text
    for expected in ("at least 8 characters", "at least 1 number"):
        check(expected in errors, "violation listed: " + expected + " in " + errors)
    accessible(anna, "weak-password-refused")
    shot(anna, "09-weak-password-refused")

    field = anna.find_element(By.ID, "new_password")
    field.send_keys("Plum-Kettle-4242")
    check(all(rules_met(anna).values()), "every rule met: %s" % rules_met(anna))
    anna.find_element(By.ID, "submit").click()
    wait_until(anna, lambda d: "Welcome, Anna Berg" in d.page_source, "lands on the account page, logged in")
    check(anna.current_url.rstrip("/") == URL, "the account page is /")
    check(session_id(anna) != with_ticket, "the new password moved the session to a new id")
    shot(anna, "10-logged-in")
    anna.get(URL + "/change-password")
    accessible(anna, "change-password")
    shots(anna, "11-change-password")

    # The session that began before the change has ended, on its next request to any page:
    # not the account page it was on, but the change-password page.
    other.get(URL + "/change-password")
    wait_until(other, lambda d: "/login" in d.current_url, "second session sent to login")
    check("signed out" in other.page_source, "second session told why")
    shot(other, "12-second-session-ended")
    other.get(URL + "/")
    wait_until(other, lambda d: "/login" in d.current_url, "and it stays logged out")

    # Dora's invitation expired yesterday: its temporary password is named as expired (only
    # its holder can see this) and she is pointed at "Forgot your password".
    login(other, "dora.expired", "Dora-Expired-2026")
    wait_until(other, lambda d: "temporary password has expired" in d.page_source, "expired temporary password named")
    check(other.find_elements(By.ID, "forgot"), "the page offers a new one")
    accessible(other, "temporary-password-expired")
    shot(other, "13-temporary-password-expired")
    login(other, "dora.expired", "Not-Her-Password-1")
    wait_until(other, lambda d: "Invalid username or password" in d.page_source, "anyone else gets the one answer")
    check("has expired" not in other.page_source, "a wrong password learns nothing about the expiry")
    if AXE is None:
        print("*** axe-core not given: accessibility not checked ***")
    else:
        print("axe-core found nothing on: " + ", ".join(AXE_CHECKED))
    print("BROWSER TEST PASSED")
finally:
    other.quit()
    anna.quit()
