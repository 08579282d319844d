"""Drive the portal in headless Chromium (Debian's chromium + chromium-driver, selenium).

usage: portal_browser.py URL OUTBOX SCREENSHOT_DIR

Story: a second browser is logged in as Anna; staff resets Anna's password; the temporary
password is read from the outbox; Anna logs in with it, is sent to "set a new password",
sees every violation of a weak password, sets a good one and lands on her account page; the
second browser's session has ended. Each login and the new password move the session to a
new id (the cookie's value changes). A screenshot of each page is saved.
"""
import email
import glob
import os
import sys
from email import policy

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

URL, OUTBOX, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(SHOTS, exist_ok=True)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1100,800"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def wait_until(driver, condition, message):
    """Wait (up to 10 s) for a page load after a click to satisfy `condition`."""
    try:
        WebDriverWait(driver, 10).until(lambda d: condition(d))
    except Exception:
        raise AssertionError(message + " (at " + driver.current_url + ")")


def check(condition, message):
    if not condition:
        raise AssertionError(message)


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


other = browser()
anna = browser()
try:
    # A second browser, logged in before the change.
    other.get(URL + "/login")
    before_login = session_id(other)
    login(other, "anna.berg", "Anna-Start-2026")
    wait_until(other, lambda d: "Welcome, Anna Berg" in d.page_source, "second session logged in")
    check(session_id(other) != before_login, "the login moved the session to a new id")
    shot(other, "01-second-session-logged-in")

    # Staff picks the retailer, the right contact among several, and resets it.
    anna.get(URL + "/staff")
    shot(anna, "02-staff-act-as")
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
    shot(anna, "03-staff-reset-done")

    # Anna logs in with the temporary password and must set a new one.
    temp = temporary_password()
    before_login = session_id(anna)
    login(anna, "anna.berg", temp)
    wait_until(anna, lambda d: d.current_url.endswith("/set-password"), "sent to set-new-password")
    with_ticket = session_id(anna)
    check(with_ticket != before_login, "the temporary-password login moved the session to a new id")
    shot(anna, "04-set-new-password")

    anna.find_element(By.ID, "new_password").send_keys("anna")
    anna.find_element(By.ID, "submit").click()
    wait_until(anna, lambda d: d.find_elements(By.ID, "password-errors"), "violations shown")
    errors = anna.find_element(By.ID, "password-errors").text
    for expected in ("at least 8 characters", "at least 1 number"):
        check(expected in errors, "violation listed: " + expected + " in " + errors)
    shot(anna, "05-weak-password-refused")

    anna.find_element(By.ID, "new_password").send_keys("Plum-Kettle-4242")
    anna.find_element(By.ID, "submit").click()
    wait_until(anna, lambda d: "Welcome, Anna Berg" in d.page_source, "lands on the account page, logged in")
    check(anna.current_url.rstrip("/") == URL, "the account page is /")
    check(session_id(anna) != with_ticket, "the new password moved the session to a new id")
    shot(anna, "06-logged-in")

    # The session that began before the change has ended.
    other.get(URL + "/")
    wait_until(other, lambda d: d.current_url.endswith("/login"), "second session sent to login")
    check("signed out" in other.page_source, "second session told why")
    shot(other, "07-second-session-ended")

    # Dora's invitation expired yesterday: its temporary password is named as expired (only
    # its holder can see this) and she is pointed at "Forgot your password".
    login(other, "dora.expired", "Dora-Expired-2026")
    wait_until(other, lambda d: "temporary password has expired" in d.page_source, "expired temporary password named")
    check(other.find_elements(By.ID, "forgot"), "the page offers a new one")
    shot(other, "08-temporary-password-expired")
    login(other, "dora.expired", "Not-Her-Password-1")
    wait_until(other, lambda d: "Invalid username or password" in d.page_source, "anyone else gets the one answer")
    check("has expired" not in other.page_source, "a wrong password learns nothing about the expiry")
    print("BROWSER TEST PASSED")
finally:
    other.quit()
    anna.quit()
