# E-mails to contacts: Spanish. Missing messages fall back to English (`en/emails.ftl`),
# which lists the rules the service checks at start-up.

## Dates and times. The parts are computed in the contact's time zone; the order, the words
## and the punctuation are this locale's.

# $weekday: 1 = Monday ... 7 = Sunday.
weekday = { $weekday ->
    [1] lunes
    [2] martes
    [3] miércoles
    [4] jueves
    [5] viernes
    [6] sábado
   *[7] domingo
}
# $month: 1 = January ... 12 = December.
month = { $month ->
    [1] enero
    [2] febrero
    [3] marzo
    [4] abril
    [5] mayo
    [6] junio
    [7] julio
    [8] agosto
    [9] septiembre
    [10] octubre
    [11] noviembre
   *[12] diciembre
}
# A moment in the contact's zone, e.g. "lunes 30 de noviembre de 2026, 22:06 NZDT".
# $day, $year, $hour (00-23) and $minute (00-59) are digits; $zone is the zone's
# abbreviation from the time-zone database (NZDT, CET, or an offset such as -03).
date-time = { weekday } { $day } de { month } de { $year }, { $hour }:{ $minute } { $zone }
# How long a temporary password is valid; $hours is a number.
valid-for = { $hours ->
    [one] { $hours } hora
   *[other] { $hours } horas
}

## Shared lines.

greeting = Hola, { $display_name }:

## A temporary password after a reset (by staff, or the contact's own "Forgot your password").

reset-subject = Su contraseña temporal
reset-intro = Se ha solicitado restablecer la contraseña de su cuenta.
reset-username = Nombre de usuario: { $username }
reset-password = Contraseña temporal: { $temporary_password }
# $expires_at is a `date-time`.
reset-validity = Es válida durante { valid-for }, hasta el { $expires_at }. Inicie sesión con ella y se le pedirá de inmediato que elija una contraseña nueva.
reset-ignore = Si no ha solicitado este cambio, puede ignorar este correo electrónico: su contraseña actual sigue siendo válida.

## The first temporary password of a new login.

invitation-subject = Su acceso a nuestro sitio web
invitation-intro = Se ha creado para usted un acceso a nuestro sitio web de pedidos.
invitation-username = Nombre de usuario: { $username }
invitation-password = Contraseña temporal: { $temporary_password }
invitation-validity = Es válida durante { valid-for }, hasta el { $expires_at }. Inicie sesión con ella y elija su propia contraseña.

## After the contact changed their password (no secret in it).

password-changed-subject = Se ha cambiado su contraseña
password-changed-body = Se acaba de cambiar la contraseña de su cuenta. Si no ha sido usted, póngase en contacto con nosotros de inmediato.

## To the previous address after staff changed the e-mail address of a login.

email-changed-subject = Se ha cambiado la dirección de correo electrónico de su cuenta
# $changed_at is a `date-time`; $changed_by one of the two messages below (the subject of
# the sentence); $new_email is the new address, partly masked.
email-changed-body = El { $changed_at }, { $changed_by } cambió la dirección de correo electrónico de su cuenta a { $new_email }. A partir de ahora, los correos sobre su contraseña se enviarán a esa dirección.
email-changed-warning = Si usted no lo ha solicitado, póngase en contacto con nosotros de inmediato: durante los próximos días no se podrá enviar ningún restablecimiento de contraseña a la nueva dirección sin la aprobación de un segundo miembro de nuestro equipo.
changed-by-sales-office = nuestro departamento comercial (empleado n.º { $staff_id })
changed-by-sales-rep = su representante comercial (empleado n.º { $staff_id })
