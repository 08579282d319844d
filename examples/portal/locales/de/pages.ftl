# Die Seiten des Portals, wie ein Kontakt sie sieht: Deutsch (Anrede "Sie").
# Fehlt hier eine Nachricht, zeigt das Portal die englische und meldet es beim Start.

## Der Name dieser Sprache in ihr selbst, für die Sprachauswahl.

language-name = Deutsch

## Von mehreren Seiten genutzt.

username-label = Benutzername
password-label = Passwort
new-password-label = Neues Passwort
back-link = Zurück
busy = Wir sind gerade ausgelastet. Bitte versuchen Sie es gleich noch einmal.
busy-title = Ausgelastet
still-working-title = Noch in Arbeit
still-working = Das dauert länger als gewöhnlich. Ihre Eingabe kann noch wirksam werden: Warten Sie einen Moment und prüfen Sie, bevor Sie es noch einmal versuchen.
something-went-wrong = Etwas ist schiefgelaufen. Bitte versuchen Sie es noch einmal.
forbidden-title = Nicht erlaubt
forbidden-body = Ungültiges Formular-Token. Bitte gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es noch einmal.
locked-out-minutes = Zu viele Versuche. Bitte versuchen Sie es in { $minutes ->
    [one] { $minutes } Minute
   *[other] { $minutes } Minuten
} erneut.
locked-out-seconds = Zu viele Versuche. Bitte versuchen Sie es in { $seconds ->
    [one] { $seconds } Sekunde
   *[other] { $seconds } Sekunden
} erneut.

## Anmelden.

login-title = Anmelden
login-button = Anmelden
forgot-link = Passwort vergessen?
staff-link = Mitarbeiter
invalid-login = Benutzername oder Passwort ist falsch.
temporary-password-expired = Ihr vorläufiges Passwort ist abgelaufen. Über „Passwort vergessen?“ erhalten Sie ein neues.
signed-out-login-changed = Sie wurden abgemeldet, weil sich Ihre Anmeldedaten geändert haben.
step-expired = Dieser Schritt ist abgelaufen. Bitte melden Sie sich erneut an.

## Passwort vergessen. Die Antwort ist dieselbe, ob es den Benutzernamen gibt oder nicht.

forgot-title = Passwort vergessen
forgot-button = Vorläufiges Passwort zusenden
forgot-answer = Falls es diesen Benutzernamen gibt, haben wir seinem Inhaber ein vorläufiges Passwort per E-Mail geschickt.

## Ein neues Passwort nach der Anmeldung mit einem vorläufigen, und später ändern.

set-password-title = Neues Passwort festlegen
set-password-intro = Sie haben sich mit einem vorläufigen Passwort angemeldet. Bitte wählen Sie jetzt Ihr eigenes. Es braucht:
set-password-button = Passwort festlegen
change-password-title = Passwort ändern
current-password-label = Aktuelles Passwort
change-password-button = Passwort ändern
current-password-wrong = Ihr aktuelles Passwort ist nicht korrekt.
password-changed = Ihr Passwort wurde geändert.
# "Zeichen" ist Einzahl und Mehrzahl zugleich.
rule-min-length = mindestens { $min } Zeichen
rule-digit = mindestens 1 Ziffer
rule-letter = mindestens 1 Buchstaben

## Warum ein neues Passwort abgelehnt wurde, eine Zeile je Regel.

password-too-short = Das Passwort muss mindestens { $min } Zeichen lang sein (es hat { $actual }).
password-too-long = Das Passwort darf höchstens { $max } Zeichen lang sein.
password-missing-digit = Das Passwort muss mindestens 1 Ziffer enthalten.
password-missing-letter = Das Passwort muss mindestens 1 Buchstaben enthalten.
password-control-character = Das Passwort darf keine Steuerzeichen enthalten.
password-same-as-username = Das Passwort darf nicht mit dem Benutzernamen übereinstimmen.
password-same-as-temporary = Das Passwort darf nicht mit dem vorläufigen Passwort übereinstimmen.
password-common = Das Passwort ist zu verbreitet. Bitte wählen Sie ein weniger vorhersehbares.
password-rejected = Dieses Passwort ist nicht erlaubt. Bitte wählen Sie ein anderes.

## Die Kontoseite.

home-title = Ihr Konto
welcome = Willkommen, { $name }. Sie sind angemeldet und können Bestellungen aufgeben.
change-password-link = Passwort ändern
logout-button = Abmelden
preferences-heading = Sprache und Zeitzone
language-label = Sprache
time-zone-label = Zeitzone
time-zone-hint = Ein IANA-Zeitzonenname wie Europe/Berlin oder America/New_York. Zeiten in unseren E-Mails werden in dieser Zone angegeben. Lassen Sie das Feld leer, gilt die Zeitzone Ihres Unternehmens.
preferences-button = Speichern
preferences-saved = Ihre Sprache und Zeitzone wurden gespeichert.
preferences-bad-locale = Bitte wählen Sie eine der Sprachen aus der Liste.
preferences-bad-time-zone = Diese Zeitzone kennen wir nicht. Bitte geben Sie einen IANA-Namen wie Europe/Berlin ein.

## The web layer's pages (customer-access-axum)
show-password = Anzeigen
hide-password = Verbergen
problem-title = Entschuldigung
logged-out = Sie sind abgemeldet.
too-large = Was Sie gesendet haben, ist zu groß.
