# E-mails to contacts: French. Missing messages fall back to English (`en/emails.ftl`),
# which lists the rules the service checks at start-up.

## Dates and times. The parts are computed in the contact's time zone; the order, the words
## and the punctuation are this locale's.

# $weekday: 1 = Monday ... 7 = Sunday.
weekday = { $weekday ->
    [1] lundi
    [2] mardi
    [3] mercredi
    [4] jeudi
    [5] vendredi
    [6] samedi
   *[7] dimanche
}
# $month: 1 = January ... 12 = December.
month = { $month ->
    [1] janvier
    [2] février
    [3] mars
    [4] avril
    [5] mai
    [6] juin
    [7] juillet
    [8] août
    [9] septembre
    [10] octobre
    [11] novembre
   *[12] décembre
}
# A moment in the contact's zone, e.g. "lundi 30 novembre 2026, 22:06 NZDT".
# $day, $year, $hour (00-23) and $minute (00-59) are digits; $zone is the zone's
# abbreviation from the time-zone database (NZDT, CET, or an offset such as -03).
date-time = { weekday } { $day } { month } { $year }, { $hour }:{ $minute } { $zone }
# How long a temporary password is valid; $hours is a number.
valid-for = { $hours ->
    [one] { $hours } heure
   *[other] { $hours } heures
}

## Shared lines.

greeting = Bonjour { $display_name },

## A temporary password after a reset (by staff, or the contact's own "Forgot your password").

reset-subject = Votre mot de passe temporaire
reset-intro = Une réinitialisation du mot de passe de votre compte a été demandée.
reset-username = Nom d’utilisateur : { $username }
reset-password = Mot de passe temporaire : { $temporary_password }
# $expires_at is a `date-time`.
reset-validity = Il est valable { valid-for }, jusqu’au { $expires_at }. Connectez-vous avec ce mot de passe : il vous sera aussitôt demandé d’en choisir un nouveau.
reset-ignore = Si vous n’êtes pas à l’origine de cette demande, vous pouvez ignorer cet e-mail : votre mot de passe actuel reste valable.

## The first temporary password of a new login.

invitation-subject = Votre accès à notre site web
invitation-intro = Un accès à notre site de commande en ligne a été créé pour vous.
invitation-username = Nom d’utilisateur : { $username }
invitation-password = Mot de passe temporaire : { $temporary_password }
invitation-validity = Il est valable { valid-for }, jusqu’au { $expires_at }. Connectez-vous avec ce mot de passe, puis choisissez le vôtre.

## After the contact changed their password (no secret in it).

password-changed-subject = Votre mot de passe a été modifié
password-changed-body = Le mot de passe de votre compte vient d’être modifié. Si vous n’êtes pas à l’origine de cette modification, contactez-nous immédiatement.

## To the previous address after staff changed the e-mail address of a login.

email-changed-subject = L’adresse e-mail de votre compte a été modifiée
# $changed_at is a `date-time`; $changed_by one of the two messages below (the subject of
# the sentence); $new_email is the new address, partly masked.
email-changed-body = Le { $changed_at }, { $changed_by } a remplacé l’adresse e-mail de votre compte par { $new_email }. Les e-mails concernant votre mot de passe y seront désormais envoyés.
email-changed-warning = Si vous n’êtes pas à l’origine de cette demande, contactez-nous immédiatement : pendant les prochains jours, aucune réinitialisation ne pourra être envoyée à la nouvelle adresse sans l’accord d’un second membre de notre équipe.
changed-by-sales-office = notre service commercial (collaborateur n° { $staff_id })
changed-by-sales-rep = votre représentant commercial (collaborateur n° { $staff_id })
