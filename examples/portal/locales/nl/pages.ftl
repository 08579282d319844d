# De pagina's van het portaal zoals een contactpersoon ze ziet: Nederlands (aanspreekvorm "u").
# Ontbreekt hier een bericht, dan toont het portaal het Engelse en meldt dat bij het starten.

## De naam van deze taal in de taal zelf, voor het taalmenu.

language-name = Nederlands

## Gedeeld door meerdere pagina's.

username-label = Gebruikersnaam
password-label = Wachtwoord
new-password-label = Nieuw wachtwoord
back-link = Terug
busy = Het is op dit moment erg druk; probeer het zo nog eens.
busy-title = Druk
still-working-title = Nog bezig
still-working = Dit duurt langer dan gewoonlijk. Wat u hebt verstuurd kan nog worden verwerkt: wacht even en controleer het voordat u het opnieuw probeert.
something-went-wrong = Er is iets misgegaan; probeer het nog eens.
forbidden-title = Niet toegestaan
forbidden-body = Ongeldig formuliertoken. Ga terug, laad de pagina opnieuw en probeer het nog eens.
locked-out-minutes = Te veel pogingen. Probeer het over { $minutes ->
    [one] { $minutes } minuut
   *[other] { $minutes } minuten
} opnieuw.
locked-out-seconds = Te veel pogingen. Probeer het over { $seconds ->
    [one] { $seconds } seconde
   *[other] { $seconds } seconden
} opnieuw.

## Inloggen.

login-title = Inloggen
login-button = Inloggen
forgot-link = Wachtwoord vergeten?
staff-link = Medewerkers
invalid-login = Onjuiste gebruikersnaam of onjuist wachtwoord.
temporary-password-expired = Uw tijdelijke wachtwoord is verlopen. Gebruik ‘Wachtwoord vergeten?’ om een nieuw wachtwoord te ontvangen.
signed-out-login-changed = U bent uitgelogd omdat uw inloggegevens zijn gewijzigd.
step-expired = Deze stap is verlopen; log opnieuw in.

## Wachtwoord vergeten. Het antwoord is hetzelfde, of de gebruikersnaam nu bestaat of niet.

forgot-title = Wachtwoord vergeten
forgot-button = Stuur mij een tijdelijk wachtwoord
forgot-answer = Als die gebruikersnaam bestaat, hebben we de eigenaar een tijdelijk wachtwoord gemaild.

## Een nieuw wachtwoord na inloggen met een tijdelijk wachtwoord, en het later wijzigen.

set-password-title = Nieuw wachtwoord instellen
set-password-intro = U bent ingelogd met een tijdelijk wachtwoord. Kies nu uw eigen wachtwoord. Het moet bevatten:
set-password-button = Wachtwoord instellen
change-password-title = Uw wachtwoord wijzigen
current-password-label = Huidig wachtwoord
change-password-button = Wachtwoord wijzigen
current-password-wrong = Uw huidige wachtwoord is niet juist.
password-changed = Uw wachtwoord is gewijzigd.
rule-min-length = { $min ->
    [one] minstens { $min } teken
   *[other] minstens { $min } tekens
}
rule-digit = minstens 1 cijfer
rule-letter = minstens 1 letter

## Waarom een nieuw wachtwoord is geweigerd, één regel per overtreden eis.

password-too-short = Het wachtwoord moet minstens { $min ->
    [one] { $min } teken
   *[other] { $min } tekens
} lang zijn (het heeft er { $actual }).
password-too-long = Het wachtwoord mag hoogstens { $max ->
    [one] { $max } teken
   *[other] { $max } tekens
} lang zijn.
password-missing-digit = Het wachtwoord moet minstens 1 cijfer bevatten.
password-missing-letter = Het wachtwoord moet minstens 1 letter bevatten.
password-control-character = Het wachtwoord mag geen stuurtekens bevatten.
password-same-as-username = Het wachtwoord mag niet gelijk zijn aan de gebruikersnaam.
password-same-as-temporary = Het wachtwoord mag niet gelijk zijn aan het tijdelijke wachtwoord.
password-common = Het wachtwoord komt te vaak voor; kies een minder voorspelbaar wachtwoord.
password-rejected = Dit wachtwoord is niet toegestaan; kies een ander wachtwoord.

## De accountpagina.

home-title = Uw account
welcome = Welkom, { $name }. U bent ingelogd en kunt bestellingen plaatsen.
change-password-link = Uw wachtwoord wijzigen
logout-button = Uitloggen
preferences-heading = Taal en tijdzone
language-label = Taal
time-zone-label = Tijdzone
time-zone-hint = Een IANA-tijdzonenaam zoals Europe/Amsterdam of America/New_York. Tijden in onze e-mails worden in deze zone getoond. Laat het veld leeg om de tijdzone van uw bedrijf te gebruiken.
preferences-button = Opslaan
preferences-saved = Uw taal en tijdzone zijn opgeslagen.
preferences-bad-locale = Kies een van de talen uit de lijst.
preferences-bad-time-zone = Deze tijdzone kennen we niet. Voer een IANA-naam in, zoals Europe/Amsterdam.

## The web layer's pages (customer-access-axum)
show-password = Tonen
hide-password = Verbergen
problem-title = Sorry
logged-out = U bent afgemeld.
too-large = Wat u hebt verstuurd is te groot.
