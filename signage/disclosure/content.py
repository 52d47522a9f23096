"""The privacy page's words (EDPB Guidelines 3/2019 on video devices, second layer; GDPR
Art. 13): every fact the law asks for, in English and French, from ``Facts``. Pure.

A configured notice language other than en/fr gets the English page with a line saying so:
the page's sentences are legal text that a translator, not a default, should write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from signage.disclosure.facts import Facts

PAGE_LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Section:
    key: str  # stable anchor: who, what, why, basis, kept, recipients, rights, about
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    lang: str
    title: str
    lead: str
    sections: list[Section]
    note: str = ""  # e.g. "this page is in English"


def _join(parts: list[str]) -> str:
    return " ".join(p for p in parts if p)


KEYS = ("who", "what", "why", "basis", "kept", "recipients", "rights", "about")
_BULLETED = {"what", "rights"}
_TITLES_EN = ("Who is responsible", "What the camera beside this screen does", "Why", "Legal basis",
              "What is kept, and for how long", "Who receives it", "Your rights", "About this page")
_TITLES_FR = ("Qui est responsable", "Ce que fait la caméra à côté de cet écran", "Pourquoi", "Base légale",
              "Ce qui est conservé, et combien de temps", "Qui le reçoit", "Vos droits", "À propos de cette page")


def _sections(titles: tuple[str, ...], *texts: list[str]) -> list[Section]:
    return [Section(key, title, bullets=t) if key in _BULLETED else Section(key, title, t)
            for key, title, t in zip(KEYS, titles, texts, strict=True)]


def _en(f: Facts) -> Page:
    who = [_join([f"{f.controller}{', ' + f.address if f.address else ''} is responsible for this screen and its camera "
                  "(the data controller).", f"Contact: {f.contact}."]),
           f"Data protection officer: {f.dpo}." if f.dpo else
           "No data protection officer has been appointed: write to the contact above."]
    what = [
        "The camera's picture is analysed on this device, in memory, and dropped at once: it is never "
        "recorded, stored, shown or sent anywhere.",
        "The software finds faces and derives a few anonymous numbers: how many people are in front of the "
        "screen, how many look at it and for how long"
        + (", and whether a smile or an open-mouthed surprise look is readily apparent." if f.expressions else "."),
        "No one is identified: no face template is made and no one is recognised from one visit to the next; "
        "a person's short-lived track is forgotten as soon as they leave the camera's view.",
        "No age, no gender, no origin nor any other personal characteristic is estimated, and it does not "
        "recognise emotions.",
    ]
    if not f.expressions:
        what.append("At this site facial expressions are not analysed at all (staff work in the camera's view).")
    if f.zones:
        what.append(f"Faces in {len(f.zones)} area(s) of the camera's view ({', '.join(f.zones)}) are ignored "
                    "before anything is measured: they change no number.")
    if not f.camera:
        what.insert(0, "The camera is switched off at present: nothing below happens until it is switched on.")
    why = ["To choose what the screen shows next from the audience in front of it (rules written by the "
           "advertisers), and to count the audience of each advertisement (proof of play and audience "
           "statistics for the advertisers)."]
    basis = [
        "Our legitimate interest (GDPR Art. 6(1)(f)) in measuring and adapting what this screen shows.",
        "Why we consider it does not override your interests and rights: each picture is processed for a "
        "fraction of a second in memory and never kept; no one is identified; only counts are kept; a "
        "notice is on the screen whenever the camera is on; you can pause the measurement at any time"
        + ("; staff areas are excluded" if f.zones else "")
        + "; expression figures behind fewer than 3 people are never shown.",
    ]
    kept = [f"Counts per advertisement played and per minute (never a record per person), stored on this device "
            f"for {f.retention_days} days, then deleted."]
    recipients = ["No image and no personal data goes to anyone."]
    recipients.append("Aggregated statistics go to the advertisers"
                      + (", and to the operator's own central server." if f.fleet else "."))
    rights = []
    if f.pause_min:
        how = "press the pause button by the screen or ask staff" if f.pause_button else "ask staff"
        rights.append(f"Right to object: {how}. Audience measurement "
                      f"stops for {f.pause_min} minutes: the camera is switched off and the screen says until when. "
                      "You lose nothing by it: the screen goes on showing its programme.")
    else:
        rights.append(f"Right to object: ask staff, or write to {f.contact}; the measurement can be paused.")
    rights.append("As the numbers identify no one, we hold no data we could find about you to give you, correct "
                  f"or erase (GDPR Art. 11); you may still write to {f.contact} with any question.")
    rights.append("You may lodge a complaint with "
                  + (f"{f.authority}" + (f" ({f.authority_url})" if f.authority_url else "") if f.authority
                     else "the data protection authority of your country") + ".")
    about = [f"This page is generated from the screen's configuration (signage {f.version})."]
    sections = _sections(_TITLES_EN, who, what, why, basis, kept, recipients, rights, about)
    return Page("en", "Camera and audience measurement: privacy notice",
                "A camera beside this screen measures its audience anonymously. Here is everything about it.",
                sections)


def _fr(f: Facts) -> Page:
    who = [_join([f"{f.controller}{', ' + f.address if f.address else ''} est responsable de cet écran et de sa "
                  "caméra (responsable du traitement).", f"Contact\u00a0: {f.contact}."]),
           f"Délégué à la protection des données\u00a0: {f.dpo}." if f.dpo else
           "Aucun délégué à la protection des données n'a été désigné\u00a0: écrivez au contact ci-dessus."]
    what = [
        "L'image de la caméra est analysée sur cet appareil, en mémoire, puis effacée aussitôt\u00a0: elle "
        "n'est jamais enregistrée, conservée, affichée ni transmise.",
        "Le logiciel repère les visages et en tire quelques nombres anonymes\u00a0: combien de personnes sont "
        "devant l'écran, combien le regardent et combien de temps"
        + (", et si un sourire ou un air surpris bouche ouverte est nettement visible." if f.expressions else "."),
        "Personne n'est identifié\u00a0: aucun gabarit de visage n'est calculé, personne n'est reconnu d'une "
        "visite à l'autre\u00a0; le suivi éphémère d'une personne est oublié dès qu'elle quitte le champ.",
        "Il n'estime jamais l'âge, le sexe, l'origine ni aucune autre caractéristique personnelle, et ne "
        "reconnaît pas les émotions.",
    ]
    if not f.expressions:
        what.append("Sur ce site, les expressions du visage ne sont pas du tout analysées (du personnel "
                    "travaille dans le champ de la caméra).")
    if f.zones:
        what.append(f"Les visages situés dans {len(f.zones)} zone(s) du champ ({', '.join(f.zones)}) sont "
                    "ignorés avant toute mesure\u00a0: ils ne changent aucun nombre.")
    if not f.camera:
        what.insert(0, "La caméra est actuellement éteinte\u00a0: rien de ce qui suit n'a lieu tant qu'elle "
                       "n'est pas allumée.")
    why = ["Choisir ce que l'écran affiche selon l'audience présente (règles écrites par les annonceurs) et "
           "compter l'audience de chaque publicité (preuve de diffusion et statistiques d'audience pour les "
           "annonceurs)."]
    basis = [
        "Notre intérêt légitime (RGPD, art. 6.1.f) à mesurer et adapter ce que montre cet écran.",
        "Pourquoi nous estimons qu'il ne prévaut pas sur vos intérêts et droits\u00a0: chaque image est "
        "traitée une fraction de seconde en mémoire et jamais conservée\u00a0; personne n'est identifié\u00a0; "
        "seuls des comptages sont gardés\u00a0; un avis est affiché dès que la caméra est active\u00a0; vous "
        "pouvez suspendre la mesure à tout moment"
        + ("\u00a0; les zones du personnel sont exclues" if f.zones else "")
        + "\u00a0; les chiffres d'expression de moins de 3 personnes ne sont jamais montrés.",
    ]
    kept = [f"Des comptages par publicité diffusée et par minute (jamais une ligne par personne), conservés sur "
            f"cet appareil {f.retention_days} jours, puis effacés."]
    recipients = ["Aucune image ni donnée personnelle n'est transmise à qui que ce soit."]
    recipients.append("Des statistiques agrégées vont aux annonceurs"
                      + (", et au serveur central de l'exploitant." if f.fleet else "."))
    rights = []
    if f.pause_min:
        how = ("appuyez sur le bouton pause près de l'écran ou demandez au personnel" if f.pause_button
               else "demandez au personnel")
        rights.append(f"Droit d'opposition\u00a0: {how}. La mesure d'audience s'arrête {f.pause_min} minutes\u00a0: la caméra est "
                      "éteinte et l'écran indique jusqu'à quelle heure. Vous n'y perdez rien\u00a0: l'écran "
                      "continue son programme.")
    else:
        rights.append(f"Droit d'opposition\u00a0: demandez au personnel ou écrivez à {f.contact}\u00a0; la mesure "
                      "peut être suspendue.")
    rights.append("Les nombres n'identifiant personne, nous ne détenons aucune donnée vous concernant que nous "
                  f"pourrions retrouver, vous communiquer, rectifier ou effacer (RGPD, art. 11)\u00a0; vous pouvez "
                  f"toujours écrire à {f.contact}.")
    rights.append("Vous pouvez introduire une réclamation auprès de "
                  + (f"{f.authority}" + (f" ({f.authority_url})" if f.authority_url else "") if f.authority
                     else "l'autorité de protection des données de votre pays") + ".")
    about = [f"Cette page est générée à partir de la configuration de l'écran (signage {f.version})."]
    sections = _sections(_TITLES_FR, who, what, why, basis, kept, recipients, rights, about)
    return Page("fr", "Caméra et mesure d'audience\u00a0: information sur la vie privée",
                "Une caméra à côté de cet écran mesure son audience de façon anonyme. Voici tout ce qu'il faut "
                "savoir.", sections)


_BUILDERS = {"en": _en, "fr": _fr}


def pages(f: Facts) -> list[Page]:
    """One page per configured language (en and fr written; any other gets the English words, said so)."""
    out: list[Page] = []
    seen: set[str] = set()
    for lang in f.languages:
        built = _BUILDERS.get(lang)
        if built is not None:
            if lang not in seen:
                out.append(built(f))
                seen.add(lang)
        elif "en" not in seen:
            page = _en(f)
            out.append(Page("en", page.title, page.lead, page.sections,
                            note=f"This page is in English: its text in {lang!r} is not written yet."))
            seen.add("en")
    return out
