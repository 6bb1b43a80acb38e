"""The simulated app's user-visible strings in English and French, and its number formats
(`169.2K` / `4,926` in en, `169,2 k` / `4 926` with U+00A0 in fr).

Pure tables and functions; the screens call `tr` and `count` under `AndroidUi`'s lock.
"""

from __future__ import annotations

NBSP = "\u00a0"
LRM = "\u200e"

# English text (or template) -> French. A string missing here is the same in both languages.
FR = {
    "For You": "Pour toi", "Following": "Abonnements", "Explore": "Explorer",
    "Search": "Rechercher",
    "Home": "Accueil", "Friends": "Amis", "Create": "Créer", "Inbox": "Boîte de réception",
    "Profile": "Profil",
    "Video": "Vidéo",
    "{name} profile": "Profil de {name}",
    "Follow {name}": "Suivre {name}",
    "Like video. {n} likes": "Attribuer un J'aime à la vidéo. {n} J'aime",
    "Like": "J'aime",
    "Read or add comments. {n} comments": "Lire ou ajouter des commentaires. {n} commentaires",
    "Add or remove this video from Favorites.": "Ajoute ou supprime cette vidéo de tes Favoris.",
    "Share video. {n} shares": "Partager la vidéo. {n} partages",
    "Sound: original sound - {a} by {b}": "Son : son original - {a} de {b}",
    "Ad": "Sponsorisé", "Learn more": "En savoir plus",
    LRM + "{n} comments": LRM + "{n} commentaires",
    "Add comment...": "Ajouter un commentaire...", "Close": "Fermer", "Reply": "Répondre",
    "Mention someone": "Mentionner quelqu'un", "Stickers": "Autocollants",
    "Add sound": "Ajouter un son", "Flip": "Retourner", "Speed": "Vitesse",
    "Filters": "Filtres", "Timer": "Minuteur", "POST": "PUBLIER", "CREATE": "CRÉER",
    "PHOTO": "PHOTO", "TEXT": "TEXTE",
    "Recents": "Récents", "All": "Tout", "Videos": "Vidéos", "Photos": "Photos",
    "AI gallery": "Galerie IA", "Select multiple": "Sélection multiple", "Next": "Suivant",
    "Allow access to your photos and videos": "Autorise l'accès à tes photos et vidéos",
    "Your Story": "Ta story", "Text": "Texte", "Effects": "Effets",
    "Writing a long description can help get 3x more views on average.":
        "Rédiger une longue description peut t'aider à obtenir 3 fois plus de vues en moyenne.",
    "Add a catchy title": "Ajoute un titre accrocheur", "Cover": "Couverture",
    "# Hashtags": "# Hashtags", "Mention": "Mentionner", "AI rewrite": "Réécriture IA",
    "Location": "Lieu",
    "Everyone can view this post": "Tout le monde peut voir cette publication",
    "More options": "Plus d'options",
    "More options, Privacy and more settings have been moved here.":
        "Plus d'options, les paramètres de confidentialité et d'autres ont été déplacés ici.",
    "Drafts": "Brouillons", "Post": "Publier",
    "Publish video publicly?": "Publier la vidéo publiquement ?",
    "Publish now": "Publier maintenant", "Cancel": "Annuler",
    "Profile menu": "Menu du profil", "Edit profile": "Modifier le profil",
    "Followers": "Abonnés", "Likes": "J'aime",
    "Reposted videos": "Vidéos republiées", "Liked videos": "Vidéos aimées",
    "Switch account": "Changer de compte", "Add account": "Ajouter un compte",
    "Follow": "Suivre", "Following (button)": "Abonné(e)", "Message": "Message",
    "Unfollow": "Ne plus suivre",
    "Top": "Top", "Users": "Utilisateurs", "Sounds": "Sons", "Hashtags": "Hashtags",
    "No results found": "Aucun résultat", "Clear search field": "Effacer le champ de recherche",
    "Back": "Retour",
    "Log in to TikTok": "Connecte-toi à TikTok", "Log in": "Se connecter",
    "Email or username": "E-mail ou nom d'utilisateur", "Password": "Mot de passe",
    "Don\u2019t allow": "Ne pas autoriser", "OK": "OK", "Got it": "J'ai compris",
    "Not now": "Pas maintenant", "Follow your friends": "Suis tes amis",
    "Allow": "Autoriser", "Select photos and videos": "Sélectionner des photos et des vidéos",
    "Sync your contacts to find friends": "Synchronise tes contacts pour trouver des amis",
    "Create shared collections": "Crée des collections partagées",
    "Save videos together with friends in one collection.":
        "Enregistre des vidéos avec tes amis dans une même collection.",
    "Find people you know on TikTok.": "Trouve les personnes que tu connais sur TikTok.",
    "To provide our services, we may make transfers of EEA User Data to China and other "
    "countries outside the EEA.":
        "Pour fournir nos services, nous pouvons transférer des données d'utilisateurs de "
        "l'EEE vers la Chine et d'autres pays hors de l'EEE.",
    "Allow TikTok to send you notifications?": "Autoriser TikTok à vous envoyer des notifications ?",
    "Allow TikTok to access photos and videos on this device?":
        "Autoriser TikTok à accéder aux photos et vidéos de cet appareil ?",
    # DM chat, edit profile, follower lists (social.py)
    "Send a message...": "Envoyer un message...", "Send": "Envoyer",
    "Change photo": "Changer de photo", "Name": "Nom", "Username": "Nom d'utilisateur",
    "Bio": "Bio", "Links": "Liens", "Add a bio": "Ajoute une bio", "Add link": "Ajouter un lien",
    "Save": "Enregistrer", "Take photo": "Prendre une photo",
    "Upload photo": "Importer une photo", "Follow back": "Suivre en retour",
    "Following (tab)": "Abonnements",
}
# Texts whose English form is shared with another entry but whose French differs.
EN_ALIAS = {"Following (button)": "Following", "Following (tab)": "Following"}


def tr(locale: str, text: str, **fmt) -> str:
    """`text` (an English string or template from the table) in `locale`, formatted."""
    out = FR.get(text, EN_ALIAS.get(text, text)) if locale == "fr" else EN_ALIAS.get(text, text)
    return out.format(**fmt) if fmt else out


def _trim(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def count(n: int, locale: str = "en") -> str:
    """A count as the app prints it: 999, 4,926, 169.2K, 3.4M (fr: 4 926, 169,2 k, 3,4 M)."""
    n = max(0, int(n))
    if n < 10_000:
        if locale == "fr":
            return f"{n:,}".replace(",", NBSP)
        return f"{n:,}"
    value, unit = (n / 1000, "K") if n < 1_000_000 else (n / 1_000_000, "M")
    if locale == "fr":
        return _trim(value).replace(".", ",") + NBSP + ("k" if unit == "K" else "M")
    return _trim(value) + unit

# The post options' screens (sound page, sound picker, "Add link"): words assumed, see
# docs/APP-SURFACE.md "Post options".
FR.update({
    "Use this sound": "Utiliser ce son", "{n} videos": "{n} vidéos", "Volume": "Volume",
    "Original sound": "Son original", "Added sound": "Son ajouté",
    "Search sounds": "Rechercher des sons", "Add link": "Ajouter un lien",
    "Product added": "Produit ajouté", "Products": "Produits", "Add": "Ajouter",
})
