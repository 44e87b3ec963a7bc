"""Similar ideas: how often the right idea is suggested, how often a wrong one, and how fast.

Quality. The ideas on file are the example ideas of content/ideenspeicher-beispiele.csv and
the typical town ideas below; the drafts are labelled with the idea
they duplicate (paraphrases) or with none (unrelated, many of them look-alikes). Each method
suggests at most three ideas above its threshold, and reports

- recall@3: the share of paraphrase drafts whose idea is among the suggestions;
- false suggestions per submission: suggestions that are neither the labelled idea nor one
  of its listed overlaps, over all drafts (target: at most one in five, 0.2);
- the share of unrelated drafts that got any suggestion at all.

Every method runs at the threshold fixed in its code and, for comparison, at the threshold
that suits it best on this set (highest recall@3 with at most 0.2 false suggestions per
submission). A two-fold check picks the threshold on half the drafts and measures on the
other half, to show how much the best-threshold figures flatter.

Speed. 5,000 ideas in a SQLite store (WAL, as the bot runs it). One check of the bot's
method is `SimilarIdeas.find` in a read transaction on the warm index: fingerprint query,
search, the hits read again. The baseline is a plain ``SELECT … LIKE`` over title and
description for each longer word of the draft title, three rows at most.

Usage:  python bench/similar.py [--ideas 5000] [--checks 200]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogs import similar  # noqa: E402
from dialogs.similar import Candidate, SimilarIdeas, SimilarityIndex  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import IdeaStatus  # noqa: E402
from storage.store import Store  # noqa: E402

# -- the labelled set ----------------------------------------------------------------------
#
# The ideas on file are the twenty example ideas of content/ideenspeicher-beispiele.csv
# (keys ``beispiel-01`` …) and the ideas below, typical of what residents of two towns
# propose. Each paraphrase draft is written in other words than the idea it is labelled with,
# the way a resident would type it on a phone. An unrelated draft (``match`` None) has no
# counterpart on file, so any suggestion for it is a false one; its ``near`` names the idea on
# file that shares the most words with it, which makes most of them hard cases.


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    description: str
    match: str | None
    """The idea on file this draft duplicates, or None."""
    also: tuple[str, ...] = ()
    """Further ideas on file that are fair suggestions too (they overlap with the draft)."""
    near: str | None = None
    """For an unrelated draft: the look-alike idea on file."""


# key, title, description
IDEAS_ON_FILE: list[tuple[str, str, str]] = [
    (
        "radweg",
        "Durchgehender Radweg zwischen Aalen und Heidenheim",
        "Eine beleuchtete Radverbindung ohne Lücken zwischen beiden Städten, auch für E-Bikes.",
    ),
    (
        "nachtbus",
        "Nachtbus am Wochenende",
        "Busse, die freitags und samstags auch nach Mitternacht aus der Innenstadt in die Ortsteile fahren.",
    ),
    (
        "carsharing",
        "Carsharing in den Ortsteilen",
        "Stationen für Leihautos auch außerhalb der Innenstadt, mit Elektroautos.",
    ),
    (
        "ladesaeulen",
        "Mehr Ladesäulen für Elektroautos",
        "Öffentliche Ladepunkte an Supermärkten, Schulen und Parkhäusern.",
    ),
    (
        "fahrradparken",
        "Sichere Fahrradabstellanlagen am Bahnhof",
        "Abschließbare Boxen und überdachte Stellplätze für Fahrräder am Bahnhof.",
    ),
    ("gruene-welle", "Grüne Welle für Radfahrende", "Ampeln erkennen Radfahrende und schalten früher auf Grün."),
    ("rufbus", "Rufbus für die Dörfer", "Ein Bus auf Bestellung per App oder Telefon für Orte ohne festen Fahrplan."),
    (
        "baeume",
        "Stadtbäume mit Sensoren gießen",
        "Bodenfeuchtesensoren zeigen, welche Stadtbäume im Sommer Wasser brauchen; "
        "Anwohnerinnen und Anwohner können Gießpatenschaften übernehmen.",
    ),
    (
        "solardaecher",
        "Solaranlagen auf allen städtischen Dächern",
        "Photovoltaik auf Schulen, Hallen und Rathäusern, mit einer öffentlichen Anzeige des erzeugten Stroms.",
    ),
    (
        "hitzekarte",
        "Hitzekarte mit kühlen Orten",
        "Eine Karte mit schattigen Plätzen, Trinkbrunnen und kühlen Räumen für heiße Tage.",
    ),
    (
        "muelleimer",
        "Füllstandssensoren in Mülleimern",
        "Öffentliche Mülleimer melden, wenn sie voll sind, damit die Leerung planbar wird.",
    ),
    (
        "energiemonitor",
        "Energieverbrauch städtischer Gebäude offenlegen",
        "Strom- und Wärmeverbrauch von Schulen und Verwaltung als Übersicht im Netz.",
    ),
    (
        "repaircafe",
        "Reparatur-Café mit Online-Terminen",
        "Defekte Geräte gemeinsam reparieren statt wegwerfen, Termine online buchen.",
    ),
    (
        "audioguide",
        "Digitaler Stadtrundgang mit Audioguide",
        "Geschichten zu Gebäuden und Plätzen per QR-Code auf dem Smartphone hören.",
    ),
    (
        "trinkbrunnen",
        "Trinkbrunnen in der Fußgängerzone",
        "Öffentliche Trinkwasserbrunnen an den großen Plätzen der Innenstadt.",
    ),
    (
        "spielplaetze",
        "Spielplatz-Finder",
        "Eine Karte aller Spielplätze mit Ausstattung, Schatten und Zustand der Geräte.",
    ),
    (
        "toiletten",
        "Öffentliche Toiletten auf der Karte",
        "Wo ist die nächste barrierefreie Toilette, und ist sie gerade geöffnet?",
    ),
    (
        "frequenz",
        "Besucherfrequenz in der Fußgängerzone messen",
        "Eine anonyme Zählung der Passanten hilft Handel und Stadt, Öffnungszeiten und Feste zu planen.",
    ),
    (
        "onlineantrag",
        "Anträge komplett online",
        "Wohnsitz ummelden, Anwohnerparkausweis und Hundesteuer ohne Papier erledigen.",
    ),
    (
        "wartezeit",
        "Wartezeit im Bürgerbüro online sehen",
        "Eine Anzeige im Netz, wie viele Menschen gerade im Bürgerbüro warten.",
    ),
    (
        "livestream",
        "Gemeinderatssitzungen im Livestream",
        "Sitzungen des Gemeinderats live und als Aufzeichnung im Internet ansehen.",
    ),
    (
        "sperrmuell",
        "Sperrmüll online anmelden",
        "Einen Abholtermin für Sperrmüll und Grüngut per Formular oder App vereinbaren.",
    ),
    (
        "buergerhaushalt",
        "Bürgerhaushalt online",
        "Einwohnerinnen und Einwohner schlagen vor und stimmen ab, wofür ein Teil des Haushalts ausgegeben wird.",
    ),
    (
        "tablets",
        "Tablets für alle Schulkinder",
        "Leihgeräte für Kinder, deren Familien sich kein eigenes Gerät leisten können.",
    ),
    (
        "programmieren",
        "Programmierkurse für Kinder und Jugendliche",
        "Kostenlose Kurse in Jugendhäusern zu Robotern, Apps und Spielen.",
    ),
    (
        "onleihe",
        "Stadtbibliothek rund um die Uhr",
        "Medien online ausleihen und die Bibliothek mit dem Ausweis auch abends nutzen.",
    ),
    (
        "fakenews",
        "Kurse gegen Falschmeldungen",
        "Volkshochschulkurse, in denen man lernt, Fake News im Netz zu erkennen.",
    ),
    (
        "defi",
        "Karte aller Defibrillatoren",
        "Eine App zeigt den nächsten Defibrillator und alarmiert Ersthelfer in der Nähe.",
    ),
    (
        "arzttermine",
        "Arzttermine in der Region finden",
        "Ein Überblick über freie Termine bei Hausärzten und Fachärzten.",
    ),
    (
        "einsamkeit",
        "Telefonpaten gegen Einsamkeit",
        "Ehrenamtliche rufen regelmäßig ältere Menschen an, die allein leben.",
    ),
    (
        "barrierefrei",
        "Barrierefreie Wege auf der Karte",
        "Stufen, Rampen und Aufzüge in der Stadt erfasst, damit Menschen mit Rollstuhl oder Rollator "
        "Wege planen können.",
    ),
    (
        "marktplatz",
        "Online-Marktplatz für lokale Geschäfte",
        "Händlerinnen und Händler beider Städte verkaufen gemeinsam im Netz, mit Lieferung am selben Tag.",
    ),
    (
        "gutschein",
        "Digitaler Stadtgutschein",
        "Ein Gutschein, der in vielen Läden, Cafés und Restaurants der Stadt eingelöst werden kann.",
    ),
    ("jobboerse", "Jobbörse für die Region", "Stellenangebote von Betrieben aus Aalen und Heidenheim an einem Ort."),
    ("gruenderzentrum", "Gründerzentrum mit Beratung", "Räume, Beratung und Kontakte für Start-ups aus der Region."),
    ("funkloch", "Funklöcher schließen", "Besserer Mobilfunkempfang in den Ortsteilen und entlang der Bahnstrecke."),
    ("glasfaser", "Glasfaser für alle Haushalte", "Schnelles Internet auch in Randlagen und Dörfern."),
    (
        "zwilling",
        "Digitaler Zwilling der Stadt",
        "Ein 3D-Modell der Stadt, um Bauprojekte, Verkehr und Hochwasser zu simulieren.",
    ),
    (
        "cloud",
        "Städtische Cloud in der Region",
        "Daten der Verwaltung in Rechenzentren aus der Region speichern statt bei großen Konzernen.",
    ),
]

PARAPHRASES: list[Draft] = [
    Draft(
        "Mehr Sitzbänke am Kocher",
        "Am Kocherufer fehlen Bänke zum Ausruhen, gern mit Steckdose fürs Handy.",
        "beispiel-03",
    ),
    Draft(
        "Wann kommt der Bus?",
        "An der Haltestelle sollte man sehen, in wie vielen Minuten der nächste Bus abfährt.",
        "beispiel-01",
    ),
    Draft(
        "Parkplatzsuche per App",
        "Ich kreise oft ewig durch die Stadt. Eine App, die freie Parkplätze anzeigt, wäre toll.",
        "beispiel-02",
    ),
    Draft(
        "Offene Daten veröffentlichen",
        "Die Städte sollten ihre Daten zu Verkehr und Umwelt frei zugänglich ins Netz stellen.",
        "beispiel-04",
    ),
    Draft(
        "Videotermin beim Bürgeramt",
        "Vieles könnte man per Videoanruf klären, statt extra ins Rathaus zu gehen.",
        "beispiel-05",
    ),
    Draft(
        "Feinstaub messen", "Sensoren für die Luftqualität an großen Straßen, die Messwerte öffentlich.", "beispiel-06"
    ),
    Draft(
        "Warnung vor vereisten Radwegen",
        "Im Winter sind Radwege und Brücken oft glatt; Sensoren könnten davor warnen.",
        "beispiel-07",
    ),
    Draft("WLAN auf dem Marktplatz", "Kostenloses Internet in der Innenstadt für alle Besucher.", "beispiel-08"),
    Draft(
        "Leere Läden vermitteln",
        "Eine Übersicht leerstehender Geschäfte, die man für Pop-up-Stores mieten kann.",
        "beispiel-09",
    ),
    Draft(
        "Online-Beratung für pflegende Angehörige",
        "Wer einen Angehörigen pflegt, hat wenig Zeit. Beratung per Chat oder Video würde helfen.",
        "beispiel-10",
    ),
    Draft(
        "Smartphone-Hilfe für Senioren",
        "Ehrenamtliche könnten älteren Leuten zeigen, wie Apps und Online-Dienste funktionieren.",
        "beispiel-11",
    ),
    Draft(
        "Schlaglöcher melden",
        "Eine App, mit der man kaputte Straßen und Laternen direkt der Stadt meldet.",
        "beispiel-12",
    ),
    Draft(
        "Laternen mit Bewegungsmelder",
        "Straßenlampen nachts dimmen und nur hell machen, wenn jemand kommt. Spart Strom.",
        "beispiel-13",
    ),
    Draft(
        "Alle Veranstaltungen auf einen Blick",
        "Ein gemeinsamer Kalender für Aalen und Heidenheim mit allen Events.",
        "beispiel-14",
    ),
    Draft(
        "Hochwasserwarnung an der Brenz",
        "Den Wasserstand der Brenz live im Internet zeigen, damit man bei Starkregen gewarnt ist.",
        "beispiel-15",
    ),
    Draft(
        "Lastenrad mieten",
        "Ich würde gern ab und zu ein Lastenrad ausleihen, zum Beispiel für den Wocheneinkauf.",
        "beispiel-16",
    ),
    Draft(
        "3D-Drucker in der Bücherei",
        "Eine offene Werkstatt mit 3D-Druckern und Kursen für Jung und Alt.",
        "beispiel-17",
    ),
    Draft(
        "Gemeinsame Büros im Ortsteil",
        "Coworking vor Ort, damit Pendler nicht jeden Tag nach Stuttgart fahren müssen.",
        "beispiel-18",
    ),
    Draft(
        "Schnelles Internet an Schulen",
        "Unsere Schule hat kaum Netz, alle Schulen brauchen einen Glasfaseranschluss.",
        "beispiel-19",
        also=("glasfaser",),
    ),
    Draft(
        "Nachbarn helfen Nachbarn",
        "Eine Online-Plattform, um in der Nachbarschaft Hilfe anzubieten oder zu finden.",
        "beispiel-20",
    ),
    Draft(
        "Radschnellweg Aalen–Heidenheim",
        "Eine sichere, beleuchtete Fahrradverbindung zwischen den beiden Städten.",
        "radweg",
    ),
    Draft(
        "Späte Busse am Samstag",
        "Nach dem Ausgehen kommt man nachts nicht mehr nach Hause. Bitte Nachtbusse!",
        "nachtbus",
    ),
    Draft(
        "Leihautos auf dem Land",
        "Carsharing auch in den Dörfern und Ortsteilen, nicht nur in der Innenstadt.",
        "carsharing",
    ),
    Draft(
        "Ladestationen für E-Autos",
        "Es gibt zu wenige öffentliche Ladestationen, zum Beispiel an Supermärkten.",
        "ladesaeulen",
    ),
    Draft(
        "Fahrradboxen am Bahnhof",
        "Am Bahnhof werden Räder gestohlen, abschließbare Fahrradgaragen wären gut.",
        "fahrradparken",
    ),
    Draft("Ampeln für Radfahrer", "Ampeln, die Fahrräder erkennen und schneller Grün geben.", "gruene-welle"),
    Draft(
        "Bus auf Abruf",
        "In unserem Dorf fährt kaum ein Bus. Einen Bus per App bestellen zu können wäre ideal.",
        "rufbus",
    ),
    Draft(
        "Gießpaten für Bäume", "Sensoren im Boden zeigen, welcher Baum Wasser braucht, und Bürger gießen ihn.", "baeume"
    ),
    Draft("Photovoltaik auf Schuldächern", "Alle Dächer städtischer Gebäude mit Solarmodulen belegen.", "solardaecher"),
    Draft(
        "Kühle Orte im Sommer",
        "Bei Hitze wüsste ich gern, wo es Schatten und Trinkwasser gibt.",
        "hitzekarte",
        also=("trinkbrunnen",),
    ),
    Draft("Volle Mülleimer melden", "Mülleimer mit Sensor, die melden, wann sie geleert werden müssen.", "muelleimer"),
    Draft(
        "Stromverbrauch der Stadt zeigen",
        "Wie viel Energie verbrauchen Rathaus und Schulen? Bitte online zeigen.",
        "energiemonitor",
    ),
    Draft(
        "Reparieren statt wegwerfen",
        "Ein Repair-Café, in dem man kaputte Geräte mit Hilfe reparieren kann.",
        "repaircafe",
    ),
    Draft("Stadtführung per Smartphone", "QR-Codes an Sehenswürdigkeiten mit Audio-Erklärungen.", "audioguide"),
    Draft(
        "Wasserspender in der Stadt",
        "Kostenloses Trinkwasser an öffentlichen Plätzen im Sommer.",
        "trinkbrunnen",
        also=("hitzekarte",),
    ),
    Draft("Spielplätze finden", "Eine Übersicht aller Spielplätze mit Infos zur Ausstattung.", "spielplaetze"),
    Draft(
        "Wo ist die nächste Toilette?",
        "Öffentliche WCs in einer App anzeigen, auch ob sie barrierefrei sind.",
        "toiletten",
    ),
    Draft("Ummelden ohne Gang ins Rathaus", "Den Umzug online melden können, ohne Papierformular.", "onlineantrag"),
    Draft("Gemeinderat live im Internet", "Die Sitzungen des Gemeinderats per Stream übertragen.", "livestream"),
    Draft("Sperrmülltermin per App", "Sperrmüll abholen lassen, ohne anrufen zu müssen.", "sperrmuell"),
    Draft(
        "Bürger entscheiden mit übers Budget",
        "Ein Teil des städtischen Geldes wird nach Vorschlägen und Abstimmung der Einwohner verteilt.",
        "buergerhaushalt",
    ),
    Draft(
        "Leihtablets für Kinder",
        "Nicht jede Familie kann sich ein Tablet leisten; Schulkinder sollten eins leihen können.",
        "tablets",
    ),
    Draft(
        "Coding für Jugendliche", "Workshops zum Programmieren von Robotern und Apps im Jugendhaus.", "programmieren"
    ),
    Draft("Defis finden", "Eine Karte, wo der nächste Defibrillator hängt.", "defi"),
    Draft("Anrufe gegen Einsamkeit", "Ältere Menschen, die allein wohnen, regelmäßig anrufen.", "einsamkeit"),
    Draft("Rollstuhlgerechte Wege", "Eine Karte, die zeigt, wo Treppen sind und wo es Rampen gibt.", "barrierefrei"),
    Draft(
        "Lokale Läden online",
        "Ein gemeinsamer Onlineshop der Geschäfte aus der Innenstadt mit Lieferdienst.",
        "marktplatz",
    ),
    Draft(
        "Stadtgutschein als App",
        "Einen Gutschein, der in Geschäften und Restaurants vor Ort gilt, digital verschenken.",
        "gutschein",
    ),
    Draft(
        "Handyempfang verbessern", "In meinem Ortsteil gibt es kaum Mobilfunk. Die Funklöcher sollten weg.", "funkloch"
    ),
    Draft("3D-Stadtmodell", "Ein digitales Modell der Stadt, um Planungen sichtbar zu machen.", "zwilling"),
]

UNRELATED: list[Draft] = [
    Draft(
        "Hundewiese im Stadtpark",
        "Eine eingezäunte Fläche, auf der Hunde frei laufen dürfen.",
        None,
        near="beispiel-03",
    ),
    Draft(
        "Kotbeutelspender an Spazierwegen", "Mehr Spender für Hundekotbeutel entlang der Wege.", None, near="muelleimer"
    ),
    Draft("Skatepark für Jugendliche", "Ein neuer Skatepark mit Rampen und Beleuchtung.", None, near="barrierefrei"),
    Draft(
        "Weihnachtsmarkt verlängern",
        "Der Weihnachtsmarkt sollte bis Silvester geöffnet bleiben.",
        None,
        near="beispiel-14",
    ),
    Draft("Tempo 30 vor Schulen", "Langsamer fahren vor allen Schulen und Kitas.", None, near="beispiel-19"),
    Draft(
        "Kitaplätze online vergeben",
        "Eltern melden ihr Kind über ein Portal an und sehen, wie es um den Platz steht.",
        None,
        near="beispiel-04",
    ),
    Draft("Freibad länger öffnen", "Im Sommer sollte das Freibad bis 21 Uhr offen sein.", None, near="hitzekarte"),
    Draft(
        "Blühwiesen statt Rasen",
        "Städtische Grünflächen als Wiesen für Bienen und Insekten anlegen.",
        None,
        near="baeume",
    ),
    Draft(
        "Public Viewing auf dem Marktplatz", "Fußballspiele auf einer großen Leinwand zeigen.", None, near="beispiel-08"
    ),
    Draft(
        "Partnerschulen in Afrika",
        "Schulen beider Städte tauschen sich per Video mit Partnerschulen aus.",
        None,
        near="beispiel-19",
    ),
    Draft(
        "Kostenlose Periodenprodukte",
        "In öffentlichen Toiletten kostenlose Binden und Tampons anbieten.",
        None,
        near="toiletten",
    ),
    Draft("Graffiti-Wände freigeben", "Legale Flächen für Sprayer, damit weniger Hauswände beschmiert werden.", None),
    Draft("Blitzer an der Hauptstraße", "Dort wird nachts viel zu schnell gefahren.", None, near="nachtbus"),
    Draft(
        "Fest der Vereine",
        "Ein jährliches Fest, auf dem sich alle Vereine der Stadt vorstellen.",
        None,
        near="frequenz",
    ),
    Draft("Bezahlbarer Wohnraum", "Die Stadt soll mehr günstige Wohnungen für Familien bauen.", None),
    Draft("Kitas bis 18 Uhr", "Berufstätige Eltern brauchen Betreuung bis in den Abend.", None),
    Draft("Straßen nach Frauen benennen", "Neue Straßen sollen nach bedeutenden Frauen aus der Region heißen.", None),
    Draft(
        "Streuobstwiesen erhalten",
        "Die alten Obstbäume am Stadtrand pflegen und Patenschaften anbieten.",
        None,
        near="baeume",
    ),
    Draft("Bolzplatz sanieren", "Der Bolzplatz im Wohngebiet hat Löcher und kaputte Tore.", None, near="spielplaetze"),
    Draft(
        "Taubenschläge am Bahnhof",
        "Betreute Taubenschläge, damit weniger Tauben auf dem Bahnhofsplatz sitzen.",
        None,
        near="fahrradparken",
    ),
    Draft(
        "Rederecht für den Jugendgemeinderat",
        "Jugendliche sollen im Gemeinderat mitreden dürfen.",
        None,
        near="livestream",
    ),
    Draft("Nistkästen für Mauersegler", "An Neubauten Nistplätze für Vögel vorschreiben.", None),
    Draft(
        "Mehr verkaufsoffene Sonntage",
        "Die Geschäfte in der Innenstadt sollen öfter sonntags öffnen.",
        None,
        near="marktplatz",
    ),
    Draft(
        "Schwimmkurse in den Ferien",
        "Viele Kinder können nicht schwimmen, es braucht mehr Kurse.",
        None,
        near="programmieren",
    ),
    Draft("Schachtische im Park", "Fest eingebaute Tische mit Schachbrett im Stadtgarten.", None, near="beispiel-03"),
]


Search = Callable[[str, str], list[tuple[str, float]]]
"""A method: a draft's title and description -> (key, score) of ideas on file, best first."""


def ideas_on_file() -> list[tuple[str, str, str]]:
    with (ROOT / "content" / "ideenspeicher-beispiele.csv").open(encoding="utf-8") as f:
        examples = [(row["external_id"], row["title"], row["description"]) for row in csv.DictReader(f)]
    return examples + IDEAS_ON_FILE


# -- methods -------------------------------------------------------------------------------


def word_overlap(corpus: list[tuple[str, str, str]]) -> Search:
    """The naive baseline: Jaccard overlap of the lower-cased word sets of title and description."""

    def words(text: str) -> set[str]:
        return set(re.findall(r"\w+", text.lower()))

    bags = [(key, words(f"{title} {text}")) for key, title, text in corpus]

    def search(title: str, description: str) -> list[tuple[str, float]]:
        query = words(f"{title} {description}")
        scored = [(key, len(query & bag) / len(query | bag)) for key, bag in bags]
        return sorted((s for s in scored if s[1] > 0), key=lambda s: -s[1])

    return search


def tfidf(corpus: list[tuple[str, str, str]], gram_weight: float = similar.GRAM_WEIGHT) -> Search:
    """The bot's method (dialogs/similar.py), optionally with another weight of the 4-grams."""
    keys = {n: key for n, (key, _, _) in enumerate(corpus)}
    index = SimilarityIndex(
        (Candidate(n, title, text, IdeaStatus.APPROVED.value, "all") for n, (_, title, text) in enumerate(corpus)),
        gram_weight=gram_weight,
    )

    def search(title: str, description: str) -> list[tuple[str, float]]:
        return [(keys[n], score) for n, score in index.scores(title, description)]

    return search


def fuzzy(corpus: list[tuple[str, str, str]]) -> Search | None:
    """rapidfuzz's token-set ratio on the stemmed texts, when rapidfuzz is installed."""
    try:
        from rapidfuzz import fuzz, process
    except ImportError:
        return None
    choices = {key: " ".join(similar.stems(f"{title} {text}")) for key, title, text in corpus}

    def search(title: str, description: str) -> list[tuple[str, float]]:
        query = " ".join(similar.stems(f"{title} {description}"))
        found = process.extract(query, choices, scorer=fuzz.token_set_ratio, limit=10)
        return [(key, score / 100) for _, score, key in found]

    return search


# -- quality -------------------------------------------------------------------------------


def evaluate(
    search: Search, drafts: Sequence[Draft], threshold: float, relative: float = similar.RELATIVE
) -> tuple[float, float, float]:
    """recall@3 over the paraphrases, false suggestions per draft, share of unrelated drafts with any.

    Every method shows its suggestions by the bot's rule (`similar.suggest`): at most three,
    above the threshold, and none below `relative` times the best score.
    """
    found = false = flagged = paraphrases = unrelated = 0
    for draft in drafts:
        ranked = search(draft.title, draft.description)
        shown = [key for key, _ in similar.suggest(ranked, 3, threshold, relative)]
        fair = {draft.match, *draft.also} - {None}
        false += sum(1 for key in shown if key not in fair)
        if draft.match is None:
            unrelated += 1
            flagged += bool(shown)
        else:
            paraphrases += 1
            found += draft.match in shown
    return found / max(paraphrases, 1), false / len(drafts), flagged / max(unrelated, 1)


def best_threshold(search: Search, drafts: Sequence[Draft], relative: float = similar.RELATIVE) -> float:
    """The threshold with the highest recall@3 at no more than 0.2 false suggestions per draft."""
    candidates = [t / 100 for t in range(1, 100)]
    scored = [(evaluate(search, drafts, t, relative), t) for t in candidates]
    allowed = [(recall, -t, t) for (recall, false, _), t in scored if false <= 0.2]
    return max(allowed)[2] if allowed else 1.0


def two_fold(search: Search, drafts: Sequence[Draft], relative: float) -> tuple[float, float]:
    halves = (drafts[0::2], drafts[1::2])
    results = [
        evaluate(search, test, best_threshold(search, tune, relative), relative)
        for tune, test in (halves, halves[::-1])
    ]
    recall = statistics.mean(r[0] for r in results)
    false = statistics.mean(r[1] for r in results)
    return recall, false


def quality() -> None:
    corpus = ideas_on_file()
    drafts = [*PARAPHRASES, *UNRELATED]
    print(f"{len(corpus)} ideas on file, {len(PARAPHRASES)} paraphrase and {len(UNRELATED)} unrelated drafts\n")
    bot = tfidf(corpus)
    methods: list[tuple[str, Search | None, float | None, float]] = [
        ("word overlap (baseline)", word_overlap(corpus), None, similar.RELATIVE),
        ("stems, TF-IDF cosine", tfidf(corpus, gram_weight=0.0), None, similar.RELATIVE),
        ("stems + 4-grams, TF-IDF cosine, no relative cut", bot, None, 0.0),
        ("stems + 4-grams, TF-IDF cosine (the bot)", bot, similar.THRESHOLD, similar.RELATIVE),
        ("stems, rapidfuzz token-set ratio", fuzzy(corpus), None, similar.RELATIVE),
    ]
    header = "| method | threshold | recall@3 | false per submission | unrelated with a suggestion |"
    print(header)
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, search, fixed, relative in methods:
        if search is None:
            continue
        rows = [("best on this set", best_threshold(search, drafts, relative))]
        if fixed is not None:
            rows.insert(0, ("the bot's", fixed))
        for label, threshold in rows:
            recall, false, flagged = evaluate(search, drafts, threshold, relative)
            print(f"| {name} | {threshold:.2f} ({label}) | {recall:.2f} | {false:.2f} | {flagged:.2f} |")
    print("\ntwo-fold (threshold tuned on one half of the drafts, measured on the other):")
    for name, search, _, relative in methods:
        if search is not None:
            recall, false = two_fold(search, drafts, relative)
            print(f"  {name}: recall@3 {recall:.2f}, false per submission {false:.2f}")


# -- speed ---------------------------------------------------------------------------------


def synthetic(rng: random.Random, vocabulary: Sequence[str], n: int) -> tuple[str, str]:
    """A made-up idea from the words of the ideas on file: their vocabulary, at random."""
    title = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(3, 6))).capitalize() + f" {n}"
    text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(10, 30))) + "."
    return title, text


def seed(url: str, count: int) -> None:
    upgrade(url)
    store = Store(url)
    rng = random.Random(16)
    corpus = ideas_on_file()
    vocabulary = sorted({w for _, title, text in corpus for w in re.findall(r"\w{3,}", f"{title} {text}")})
    now = store.now()
    with store.transaction() as tx:
        for n in range(count):
            title, text = corpus[n][1:] if n < len(corpus) else synthetic(rng, vocabulary, n)
            status = IdeaStatus.PENDING if n % 7 == 0 else IdeaStatus.APPROVED
            city = ("aalen", "heidenheim", "all")[n % 3]
            tx.create_idea(
                title=title, description=text, field_id="mobilitaet", city=city, author_id=None, now=now, status=status
            )
    store.dispose()


def like_baseline(path: Path, drafts: Sequence[Draft]) -> float:
    """Seconds per check with a plain SELECT … LIKE over title and description."""
    connection = sqlite3.connect(path)
    started = time.perf_counter()
    for draft in drafts:
        words = [w for w in re.findall(r"\w+", draft.title) if len(w) >= 4] or [draft.title]
        where = " OR ".join("title LIKE ? OR description LIKE ?" for _ in words)
        params = [p for w in words for p in (f"%{w}%", f"%{w}%")]
        sql = f"SELECT id, title FROM idea WHERE status IN ('approved', 'pending') AND ({where}) LIMIT 3"
        connection.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed / len(drafts)


def speed(count: int, checks: int) -> None:
    drafts = [*PARAPHRASES, *UNRELATED]
    sample = [drafts[n % len(drafts)] for n in range(checks)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "similar.sqlite3"
        url = f"sqlite:///{path}"
        seed(url, count)
        store = Store(url)
        finder = SimilarIdeas()
        started = time.perf_counter()
        store.read(finder.refresh)
        build = time.perf_counter() - started
        timings = []
        for draft in sample:
            started = time.perf_counter()
            store.read(lambda tx, d=draft: finder.find(tx, d.title, d.description))  # type: ignore[misc]
            timings.append(time.perf_counter() - started)
        search_only = []
        index = finder.index
        for draft in sample:
            started = time.perf_counter()
            index.search(draft.title, draft.description)
            search_only.append(time.perf_counter() - started)
        like = like_baseline(path, sample)
        store.dispose()
    ms = 1000
    print(f"\n{count} ideas, {checks} checks")
    print(f"  index built from the store in {build * ms:.0f} ms (once per process, then kept up to date)")
    print(
        f"  bot check (read transaction, fingerprint, search, hits read again): "
        f"median {statistics.median(timings) * ms:.2f} ms, p95 {sorted(timings)[int(0.95 * len(timings))] * ms:.2f} ms"
    )
    print(f"  search alone on the warm index: median {statistics.median(search_only) * ms:.2f} ms")
    print(f"  SELECT … LIKE baseline: {like * ms:.2f} ms per check")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ideas", type=int, default=5000)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--no-speed", action="store_true", help="only the quality figures")
    args = parser.parse_args()
    quality()
    if not args.no_speed:
        speed(args.ideas, args.checks)


if __name__ == "__main__":
    main()
