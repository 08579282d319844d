# Las páginas del portal tal como las ve un contacto: español (trato de usted).
# Un mensaje que falte aquí se muestra en inglés, y el portal lo avisa al arrancar.

## El nombre de este idioma en el propio idioma, para el menú de idiomas.

language-name = Español

## Comunes a varias páginas.

username-label = Nombre de usuario
password-label = Contraseña
new-password-label = Nueva contraseña
back-link = Volver
busy = En este momento estamos muy ocupados; vuelva a intentarlo en un momento.
busy-title = Servicio ocupado
still-working-title = Seguimos trabajando
still-working = Esto está tardando más de lo habitual. Lo que ha enviado aún puede surtir efecto: espere un momento y compruébelo antes de volver a intentarlo.
something-went-wrong = Se ha producido un error; vuelva a intentarlo.
forbidden-title = Acceso denegado
forbidden-body = El token del formulario no es válido. Vuelva atrás, recargue la página e inténtelo de nuevo.
locked-out-minutes = Demasiados intentos. Vuelva a intentarlo dentro de { $minutes ->
    [one] { $minutes } minuto
   *[other] { $minutes } minutos
}.
locked-out-seconds = Demasiados intentos. Vuelva a intentarlo dentro de { $seconds ->
    [one] { $seconds } segundo
   *[other] { $seconds } segundos
}.

## Iniciar sesión.

login-title = Iniciar sesión
login-button = Iniciar sesión
forgot-link = ¿Ha olvidado su contraseña?
staff-link = Personal
invalid-login = Nombre de usuario o contraseña incorrectos.
temporary-password-expired = Su contraseña temporal ha caducado. Use «¿Ha olvidado su contraseña?» para recibir una nueva.
signed-out-login-changed = Se ha cerrado su sesión porque sus datos de acceso han cambiado.
step-expired = Este paso ha caducado; vuelva a iniciar sesión.

## Contraseña olvidada. La respuesta es la misma exista o no el nombre de usuario.

forgot-title = Contraseña olvidada
forgot-button = Enviarme una contraseña temporal
forgot-answer = Si ese nombre de usuario existe, hemos enviado una contraseña temporal por correo electrónico a su titular.

## Una nueva contraseña tras iniciar sesión con una temporal, y cambiarla después.

set-password-title = Establecer una nueva contraseña
set-password-intro = Ha iniciado sesión con una contraseña temporal. Elija ahora la suya. Debe tener:
set-password-button = Guardar contraseña
change-password-title = Cambiar su contraseña
current-password-label = Contraseña actual
change-password-button = Cambiar contraseña
current-password-wrong = Su contraseña actual no es correcta.
password-changed = Su contraseña se ha cambiado.
rule-min-length = { $min ->
    [one] al menos { $min } carácter
   *[other] al menos { $min } caracteres
}
rule-digit = al menos 1 número
rule-letter = al menos 1 letra

## Por qué se rechazó una nueva contraseña, una línea por regla.

password-too-short = La contraseña debe tener al menos { $min ->
    [one] { $min } carácter
   *[other] { $min } caracteres
} (tiene { $actual }).
password-too-long = La contraseña debe tener como máximo { $max ->
    [one] { $max } carácter
   *[other] { $max } caracteres
}.
password-missing-digit = La contraseña debe contener al menos 1 número.
password-missing-letter = La contraseña debe contener al menos 1 letra.
password-control-character = La contraseña no debe contener caracteres de control.
password-same-as-username = La contraseña no debe coincidir con el nombre de usuario.
password-same-as-temporary = La contraseña no debe coincidir con la contraseña temporal.
password-common = La contraseña es demasiado común; elija una menos previsible.
password-rejected = Esta contraseña no está permitida; elija otra.

## La página de la cuenta.

home-title = Su cuenta
welcome = Le damos la bienvenida, { $name }. Ha iniciado sesión y puede hacer pedidos.
change-password-link = Cambiar su contraseña
logout-button = Cerrar sesión
preferences-heading = Idioma y zona horaria
language-label = Idioma
time-zone-label = Zona horaria
time-zone-hint = Un nombre de zona horaria IANA, como Europe/Madrid o America/Mexico_City. Las horas de nuestros correos electrónicos se muestran en esta zona. Déjelo vacío para usar la zona horaria de su empresa.
preferences-button = Guardar
preferences-saved = Se han guardado su idioma y su zona horaria.
preferences-bad-locale = Elija uno de los idiomas de la lista.
preferences-bad-time-zone = No conocemos esa zona horaria. Introduzca un nombre IANA, como Europe/Madrid.

## The web layer's pages (customer-access-axum)
show-password = Mostrar
hide-password = Ocultar
problem-title = Lo sentimos
logged-out = Ha cerrado la sesión.
too-large = Lo que ha enviado es demasiado grande.
