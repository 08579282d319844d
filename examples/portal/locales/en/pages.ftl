# The portal's pages as a contact sees them: English, the fallback for every other locale.
#
# Every id here is listed in `examples/portal/i18n.rs` (MESSAGE_IDS); the portal refuses to
# start if English lacks one, and reports what another locale lacks (it shows English there).
# Values are plain text: the portal escapes them for HTML.

## This language's name in itself, for the language menu.

language-name = English

## Shared by several pages.

username-label = Username
password-label = Password
new-password-label = New password
back-link = Back
busy = We are busy; please try again in a moment.
busy-title = Busy
still-working-title = Still working
still-working = This is taking longer than usual. What you sent may still go through: wait a moment and check before you try again.
something-went-wrong = Something went wrong; please try again.
forbidden-title = Forbidden
forbidden-body = Invalid form token. Please go back, reload the page and try again.
# $minutes is a whole number, at least 1.
locked-out-minutes = Too many attempts. Try again in { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.
# $seconds is a whole number from 1 to 59.
locked-out-seconds = Too many attempts. Try again in { $seconds ->
    [one] { $seconds } second
   *[other] { $seconds } seconds
}.

## Logging in.

login-title = Log in
login-button = Log in
forgot-link = Forgot your password?
staff-link = Staff
invalid-login = Invalid username or password.
temporary-password-expired = Your temporary password has expired. Use "Forgot your password?" to get a new one.
signed-out-login-changed = You were signed out because your login details changed.
step-expired = That step has expired; please log in again.

## Forgot your password. The answer is the same whether or not the username exists.

forgot-title = Forgot your password
forgot-button = Send me a temporary password
forgot-answer = If that username exists, we have e-mailed a temporary password to its owner.

## Setting a new password after logging in with a temporary one, and changing it later.

set-password-title = Set a new password
set-password-intro = You logged in with a temporary password. Choose your own now. It needs:
set-password-button = Set password
change-password-title = Change your password
current-password-label = Current password
change-password-button = Change password
current-password-wrong = Your current password is not correct.
password-changed = Your password was changed.
# The rules a new password must meet, one line each. $min is a number.
rule-min-length = { $min ->
    [one] at least { $min } character
   *[other] at least { $min } characters
}
rule-digit = at least 1 number
rule-letter = at least 1 letter

## Why a new password was refused, one line per rule it breaks.

# $min is the minimum, $actual how many characters the password has.
password-too-short = The password must be at least { $min ->
    [one] { $min } character
   *[other] { $min } characters
} long (it has { $actual }).
# $max is a number.
password-too-long = The password must be at most { $max ->
    [one] { $max } character
   *[other] { $max } characters
} long.
password-missing-digit = The password must contain at least 1 number.
password-missing-letter = The password must contain at least 1 letter.
password-control-character = The password must not contain control characters.
password-same-as-username = The password must not be the same as the username.
password-same-as-temporary = The password must not be the same as the temporary password.
password-common = The password is too common; choose a less predictable one.
# A rule this portal does not know yet.
password-rejected = This password is not allowed; please choose another.

## The account page.

home-title = Your account
# $name is the contact's display name.
welcome = Welcome, { $name }. You are logged in and can place orders.
change-password-link = Change your password
logout-button = Log out
preferences-heading = Language and time zone
language-label = Language
time-zone-label = Time zone
time-zone-hint = An IANA time-zone name such as Europe/Berlin or America/New_York. Times in our e-mails are shown in this zone. Leave it empty to use your company's time zone.
preferences-button = Save
preferences-saved = Your language and time zone were saved.
preferences-bad-locale = Please choose one of the languages in the list.
preferences-bad-time-zone = This is not a time zone we know. Please enter an IANA name such as Europe/Berlin.

## The web layer's pages (customer-access-axum)
show-password = Show
hide-password = Hide
problem-title = Sorry
logged-out = You are logged out.
too-large = What you sent is too large.
