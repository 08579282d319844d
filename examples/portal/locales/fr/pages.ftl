# Les pages du portail telles qu'un contact les voit : français (vouvoiement).
# Un message absent ici s'affiche en anglais, et le portail le signale au démarrage.

## Le nom de cette langue dans cette langue, pour le menu des langues.

language-name = Français

## Communs à plusieurs pages.

username-label = Nom d’utilisateur
password-label = Mot de passe
new-password-label = Nouveau mot de passe
back-link = Retour
busy = Nous sommes très sollicités ; veuillez réessayer dans un instant.
busy-title = Service très sollicité
still-working-title = Traitement en cours
still-working = Cela prend plus de temps que d’habitude. Votre demande peut encore aboutir : patientez un instant et vérifiez avant de réessayer.
something-went-wrong = Une erreur s’est produite ; veuillez réessayer.
forbidden-title = Accès refusé
forbidden-body = Jeton de formulaire non valide. Veuillez revenir en arrière, recharger la page et réessayer.
locked-out-minutes = Trop de tentatives. Veuillez réessayer dans { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}.
locked-out-seconds = Trop de tentatives. Veuillez réessayer dans { $seconds ->
    [one] { $seconds } seconde
   *[other] { $seconds } secondes
}.

## Connexion.

login-title = Connexion
login-button = Se connecter
forgot-link = Mot de passe oublié ?
staff-link = Personnel
invalid-login = Nom d’utilisateur ou mot de passe incorrect.
temporary-password-expired = Votre mot de passe temporaire a expiré. Utilisez « Mot de passe oublié ? » pour en recevoir un nouveau.
signed-out-login-changed = Votre session a été fermée, car vos identifiants de connexion ont changé.
step-expired = Cette étape a expiré ; veuillez vous reconnecter.

## Mot de passe oublié. La réponse est la même, que le nom d'utilisateur existe ou non.

forgot-title = Mot de passe oublié
forgot-button = M’envoyer un mot de passe temporaire
forgot-answer = Si ce nom d’utilisateur existe, nous avons envoyé un mot de passe temporaire par e-mail à son titulaire.

## Un nouveau mot de passe après une connexion avec un mot de passe temporaire, et plus tard.

set-password-title = Choisir un nouveau mot de passe
set-password-intro = Vous avez utilisé un mot de passe temporaire pour vous connecter. Veuillez maintenant choisir le vôtre. Il doit comporter :
set-password-button = Enregistrer le mot de passe
change-password-title = Modifier votre mot de passe
current-password-label = Mot de passe actuel
change-password-button = Modifier le mot de passe
current-password-wrong = Votre mot de passe actuel n’est pas correct.
password-changed = Votre mot de passe a été modifié.
rule-min-length = { $min ->
    [one] au moins { $min } caractère
   *[other] au moins { $min } caractères
}
rule-digit = au moins 1 chiffre
rule-letter = au moins 1 lettre

## Pourquoi un nouveau mot de passe a été refusé, une ligne par règle.

password-too-short = Le mot de passe doit comporter au moins { $min ->
    [one] { $min } caractère
   *[other] { $min } caractères
} (il en a { $actual }).
password-too-long = Le mot de passe doit comporter au plus { $max ->
    [one] { $max } caractère
   *[other] { $max } caractères
}.
password-missing-digit = Le mot de passe doit contenir au moins 1 chiffre.
password-missing-letter = Le mot de passe doit contenir au moins 1 lettre.
password-control-character = Le mot de passe ne doit pas contenir de caractères de contrôle.
password-same-as-username = Le mot de passe ne doit pas être identique au nom d’utilisateur.
password-same-as-temporary = Le mot de passe ne doit pas être identique au mot de passe temporaire.
password-common = Ce mot de passe est trop courant ; veuillez en choisir un moins prévisible.
password-rejected = Ce mot de passe n’est pas autorisé ; veuillez en choisir un autre.

## La page du compte.

home-title = Votre compte
welcome = Bienvenue, { $name }. Votre session est ouverte : vous pouvez passer des commandes.
change-password-link = Modifier votre mot de passe
logout-button = Se déconnecter
preferences-heading = Langue et fuseau horaire
language-label = Langue
time-zone-label = Fuseau horaire
time-zone-hint = Un nom de fuseau horaire IANA, par exemple Europe/Paris ou America/New_York. Les heures de nos e-mails sont indiquées dans ce fuseau. Laissez le champ vide pour utiliser le fuseau de votre entreprise.
preferences-button = Enregistrer
preferences-saved = Votre langue et votre fuseau horaire ont été enregistrés.
preferences-bad-locale = Veuillez choisir l’une des langues de la liste.
preferences-bad-time-zone = Ce fuseau horaire nous est inconnu. Veuillez saisir un nom IANA, par exemple Europe/Paris.

## The web layer's pages (customer-access-axum)
show-password = Afficher
hide-password = Masquer
problem-title = Désolé
logged-out = Vous êtes déconnecté.
too-large = Ce que vous avez envoyé est trop volumineux.
