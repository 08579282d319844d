# E-mails to contacts: Dutch. Missing messages fall back to English (`en/emails.ftl`),
# which lists the rules the service checks at start-up.

## Dates and times. The parts are computed in the contact's time zone; the order, the words
## and the punctuation are this locale's.

# $weekday: 1 = Monday ... 7 = Sunday.
weekday = { $weekday ->
    [1] maandag
    [2] dinsdag
    [3] woensdag
    [4] donderdag
    [5] vrijdag
    [6] zaterdag
   *[7] zondag
}
# $month: 1 = January ... 12 = December.
month = { $month ->
    [1] januari
    [2] februari
    [3] maart
    [4] april
    [5] mei
    [6] juni
    [7] juli
    [8] augustus
    [9] september
    [10] oktober
    [11] november
   *[12] december
}
# A moment in the contact's zone, e.g. "maandag 30 november 2026, 22:06 NZDT".
# $day, $year, $hour (00-23) and $minute (00-59) are digits; $zone is the zone's
# abbreviation from the time-zone database (NZDT, CET, or an offset such as -03).
date-time = { weekday } { $day } { month } { $year }, { $hour }:{ $minute } { $zone }
# How long a temporary password is valid; $hours is a number.
valid-for = { $hours ->
    [one] { $hours } uur
   *[other] { $hours } uur
}

## Shared lines.

greeting = Beste { $display_name },

## A temporary password after a reset (by staff, or the contact's own "Forgot your password").

reset-subject = Uw tijdelijke wachtwoord
reset-intro = Er is gevraagd om het wachtwoord van uw account opnieuw in te stellen.
reset-username = Gebruikersnaam: { $username }
reset-password = Tijdelijk wachtwoord: { $temporary_password }
# $expires_at is a `date-time`.
reset-validity = Het is { valid-for } geldig, tot { $expires_at }. Log ermee in; u wordt dan meteen gevraagd een nieuw wachtwoord te kiezen.
reset-ignore = Hebt u dit niet aangevraagd, dan kunt u deze e-mail negeren: uw huidige wachtwoord blijft geldig.

## The first temporary password of a new login.

invitation-subject = Uw account voor onze website
invitation-intro = Er is voor u een account aangemaakt op onze bestelwebsite.
invitation-username = Gebruikersnaam: { $username }
invitation-password = Tijdelijk wachtwoord: { $temporary_password }
invitation-validity = Het is { valid-for } geldig, tot { $expires_at }. Log ermee in en kies uw eigen wachtwoord.

## After the contact changed their password (no secret in it).

password-changed-subject = Uw wachtwoord is gewijzigd
password-changed-body = Het wachtwoord van uw account is zojuist gewijzigd. Was u dit niet, neem dan direct contact met ons op.

## To the previous address after staff changed the e-mail address of a login.

email-changed-subject = Het e-mailadres van uw account is gewijzigd
# $changed_at is a `date-time`; $changed_by one of the two messages below (the subject of
# the sentence); $new_email is the new address, partly masked.
email-changed-body = Op { $changed_at } heeft { $changed_by } het e-mailadres van uw account gewijzigd in { $new_email }. E-mails over uw wachtwoord worden voortaan naar dat adres gestuurd.
email-changed-warning = Hebt u hier niet om gevraagd, neem dan direct contact met ons op: de komende dagen kan er geen wachtwoordherstel naar het nieuwe adres worden gestuurd zonder goedkeuring van een tweede medewerker van ons.
changed-by-sales-office = onze verkoopafdeling (medewerker nr. { $staff_id })
changed-by-sales-rep = uw vertegenwoordiger (medewerker nr. { $staff_id })
