# E-mails to contacts: English (the fallback for every other locale).
#
# Rules the service checks when it starts (see `customer_access::i18n`):
# - `$display_name`, `$temporary_password`, `$username`, `$new_email` are filled in after
#   formatting, each where its message says; `$temporary_password` appears only in
#   `*-password`, `$username` only in `*-username`.
# - A message missing here makes the service refuse to start; a message missing in another
#   locale falls back to this file and is reported at start-up.

## Dates and times. The parts are computed in the contact's time zone; the order, the words
## and the punctuation are this locale's.

# $weekday: 1 = Monday ... 7 = Sunday.
weekday = { $weekday ->
    [1] Monday
    [2] Tuesday
    [3] Wednesday
    [4] Thursday
    [5] Friday
    [6] Saturday
   *[7] Sunday
}
# $month: 1 = January ... 12 = December.
month = { $month ->
    [1] January
    [2] February
    [3] March
    [4] April
    [5] May
    [6] June
    [7] July
    [8] August
    [9] September
    [10] October
    [11] November
   *[12] December
}
# A moment in the contact's zone, e.g. "Monday 30 November 2026, 22:06 NZDT".
# $day, $year, $hour (00-23) and $minute (00-59) are digits; $zone is the zone's
# abbreviation from the time-zone database (NZDT, CET, or an offset such as -03).
date-time = { weekday } { $day } { month } { $year }, { $hour }:{ $minute } { $zone }
# How long a temporary password is valid; $hours is a number.
valid-for = { $hours ->
    [one] { $hours } hour
   *[other] { $hours } hours
}

## Shared lines.

greeting = Hello { $display_name },

## A temporary password after a reset (by staff, or the contact's own "Forgot your password").

reset-subject = Your temporary password
reset-intro = A password reset was requested for your account.
reset-username = Username: { $username }
reset-password = Temporary password: { $temporary_password }
# $expires_at is a `date-time`.
reset-validity = It is valid for { valid-for }, until { $expires_at }. Log in with it and you will be asked to choose a new password straight away.
reset-ignore = If you did not ask for this, you can ignore this e-mail: your current password still works.

## The first temporary password of a new login.

invitation-subject = Your website login
invitation-intro = A login to our ordering website has been created for you.
invitation-username = Username: { $username }
invitation-password = Temporary password: { $temporary_password }
invitation-validity = It is valid for { valid-for }, until { $expires_at }. Log in with it and choose your own password.

## After the contact changed their password (no secret in it).

password-changed-subject = Your password was changed
password-changed-body = The password of your account was just changed. If this was not you, contact us at once.

## To the previous address after staff changed the e-mail address of a login.

email-changed-subject = The e-mail address of your login was changed
# $changed_at is a `date-time`; $changed_by one of the two messages below; $new_email is
# the new address, partly masked.
email-changed-body = On { $changed_at }, { $changed_by } changed the e-mail address of your login to { $new_email }. Password e-mails will go there from now on.
email-changed-warning = If you did not ask for this, contact us at once: for the next few days no reset can be sent to the new address without a second member of our staff approving it.
changed-by-sales-office = our sales office (staff member { $staff_id })
changed-by-sales-rep = your sales representative (staff member { $staff_id })
