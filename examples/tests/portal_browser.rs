//! End-to-end: the portal example driven in headless Chromium (see `portal_browser.py`).
//! Needs Debian's `chromium`, `chromium-driver` and `python3-selenium`; without them it skips
//! loudly, unless `CUSTOMER_ACCESS_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.
//! `CUSTOMER_ACCESS_AXE_JS` names axe-core's `axe.min.js` (from the npm registry; `.ci/run`
//! fetches it), with which every page is checked for WCAG 2.1 A/AA violations; required
//! with the browser. Screenshots of every page at desktop, tablet and phone widths land in
//! `target/portal-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::process::{Command, Stdio};

mod common;

/// Are the browser, its driver and selenium's webdriver all there? (The webdriver module,
/// not just a `selenium` directory, and executable files, not just paths.)
fn available() -> bool {
    let python = Command::new("/usr/bin/python3")
        .args(["-c", "from selenium import webdriver"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    python && executable("/usr/bin/chromium") && executable("/usr/bin/chromedriver")
}

fn executable(path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0 && m.permissions().mode() & 0o111 != 0)
}

#[test]
fn portal_in_headless_chromium() {
    if !available() {
        assert!(
            std::env::var("CUSTOMER_ACCESS_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "CUSTOMER_ACCESS_REQUIRE_BROWSER=1 but chromium, chromium-driver or python3-selenium is missing"
        );
        eprintln!("\n*** SKIPPED: needs chromium, chromium-driver and python3-selenium (apt-get install ...). ***\n");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let portal = common::Portal::start(data.path(), &[], Stdio::inherit());
    let url = format!("http://127.0.0.1:{}", portal.port);
    let binary = common::portal_binary();
    let screenshots = binary.parent().unwrap().parent().unwrap().parent().unwrap().join("portal-screenshots");
    let axe = std::env::var("CUSTOMER_ACCESS_AXE_JS").ok().filter(|p| std::path::Path::new(p).is_file());
    if axe.is_none() {
        assert!(
            std::env::var("CUSTOMER_ACCESS_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "CUSTOMER_ACCESS_REQUIRE_BROWSER=1 but CUSTOMER_ACCESS_AXE_JS names no axe.min.js"
        );
        eprintln!("\n*** axe-core not found (CUSTOMER_ACCESS_AXE_JS): pages not checked for accessibility ***\n");
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/portal_browser.py");
    let output = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(&url)
        .arg(data.path().join("outbox"))
        .arg(&screenshots)
        .arg(axe.unwrap_or_default())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("BROWSER TEST PASSED"),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    println!("screenshots in {}", screenshots.display());
}
