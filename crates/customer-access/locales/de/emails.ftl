# E-mails to contacts: German. Missing messages fall back to English (`en/emails.ftl`),
# which lists the rules the service checks at start-up.

## Dates and times. The parts are computed in the contact's time zone; the order, the words
## and the punctuation are this locale's.

# $weekday: 1 = Monday ... 7 = Sunday.
weekday = { $weekday ->
    [1] Montag
    [2] Dienstag
    [3] Mittwoch
    [4] Donnerstag
    [5] Freitag
    [6] Samstag
   *[7] Sonntag
}
# $month: 1 = January ... 12 = December.
month = { $month ->
    [1] Januar
    [2] Februar
    [3] März
    [4] April
    [5] Mai
    [6] Juni
    [7] Juli
    [8] August
    [9] September
    [10] Oktober
    [11] November
   *[12] Dezember
}
# A moment in the contact's zone, e.g. "Montag, 30. November 2026, 22:06 NZDT".
# $day, $year, $hour (00-23) and $minute (00-59) are digits; $zone is the zone's
# abbreviation from the time-zone database (NZDT, CET, or an offset such as -03).
date-time = { weekday }, { $day }. { month } { $year }, { $hour }:{ $minute } { $zone }
# How long a temporary password is valid; $hours is a number.
valid-for = { $hours ->
    [one] { $hours } Stunde
   *[other] { $hours } Stunden
}

## Shared lines.

greeting = Guten Tag { $display_name },

## A temporary password after a reset (by staff, or the contact's own "Forgot your password").

reset-subject = Ihr vorläufiges Passwort
reset-intro = Für Ihr Konto wurde das Zurücksetzen des Passworts angefordert.
reset-username = Benutzername: { $username }
reset-password = Vorläufiges Passwort: { $temporary_password }
# $expires_at is a `date-time`.
reset-validity = Es ist { valid-for } lang gültig, bis { $expires_at }. Melden Sie sich damit an; Sie werden dann sofort aufgefordert, ein neues Passwort zu wählen.
reset-ignore = Falls Sie dies nicht angefordert haben, können Sie diese E-Mail ignorieren: Ihr bisheriges Passwort gilt weiterhin.

## The first temporary password of a new login.

invitation-subject = Ihr Zugang zu unserer Website
invitation-intro = Für Sie wurde ein Zugang zu unserer Bestellwebsite eingerichtet.
invitation-username = Benutzername: { $username }
invitation-password = Vorläufiges Passwort: { $temporary_password }
invitation-validity = Es ist { valid-for } lang gültig, bis { $expires_at }. Melden Sie sich damit an und wählen Sie Ihr eigenes Passwort.

## After the contact changed their password (no secret in it).

password-changed-subject = Ihr Passwort wurde geändert
password-changed-body = Das Passwort Ihres Kontos wurde soeben geändert. Falls Sie das nicht selbst waren, wenden Sie sich bitte umgehend an uns.

## To the previous address after staff changed the e-mail address of a login.

email-changed-subject = Die E-Mail-Adresse Ihres Zugangs wurde geändert
# $changed_at is a `date-time`; $changed_by one of the two messages below (the subject of
# the sentence); $new_email is the new address, partly masked.
email-changed-body = Am { $changed_at } hat { $changed_by } die E-Mail-Adresse Ihres Zugangs in { $new_email } geändert. E-Mails zu Ihrem Passwort werden ab sofort an diese Adresse gesendet.
email-changed-warning = Falls Sie dies nicht veranlasst haben, wenden Sie sich bitte umgehend an uns: In den nächsten Tagen kann keine Passwort-Zurücksetzung an die neue Adresse gesendet werden, ohne dass eine zweite Person aus unserem Team sie freigibt.
changed-by-sales-office = unser Vertriebsbüro (Mitarbeiter-Nr. { $staff_id })
changed-by-sales-rep = Ihr Außendienstmitarbeiter (Mitarbeiter-Nr. { $staff_id })
