"""Names, addresses and phone numbers for the demo and scale data (DE, GB, ES, NL, FI, NO).

All of it is made up; any likeness to a real company is a coincidence.
"""

import random
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    language: str
    dial: str  # international dialling prefix
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]
    # (city, post code, phone area code)
    cities: tuple[tuple[str, str, str], ...]
    streets: tuple[str, ...]
    street_number_first: bool  # "12 High Street" (GB) or "Hauptstraße 12"
    company_suffixes: tuple[str, ...]
    tld: str
    # Trades for generated company names: "Müller Logistik GmbH", "Construcciones García S.L."
    sectors: tuple[str, ...] = ()
    sector_first: bool = False


COUNTRIES = {
    "DE": Country(
        "DE",
        "de",
        "+49",
        (
            "Lukas",
            "Sophie",
            "Jonas",
            "Lena",
            "Felix",
            "Hannah",
            "Maximilian",
            "Laura",
            "Tobias",
            "Katharina",
            "Jürgen",
            "Sabine",
            "Stefan",
            "Anja",
            "Matthias",
            "Julia",
        ),
        (
            "Müller",
            "Schneider",
            "Fischer",
            "Weber",
            "Becker",
            "Hoffmann",
            "Schäfer",
            "Koch",
            "Richter",
            "Wagner",
            "Krüger",
            "Zimmermann",
            "Braun",
            "Hartmann",
            "Lange",
            "Schmitt",
        ),
        (
            ("Hamburg", "20457", "40"),
            ("München", "80331", "89"),
            ("Berlin", "10115", "30"),
            ("Köln", "50667", "221"),
            ("Dresden", "01067", "351"),
            ("Bremen", "28195", "421"),
            ("Stuttgart", "70173", "711"),
            ("Leipzig", "04109", "341"),
            ("Hannover", "30159", "511"),
        ),
        (
            "Hauptstraße",
            "Bahnhofstraße",
            "Lindenallee",
            "Industriestraße",
            "Am Markt",
            "Gartenweg",
            "Schillerstraße",
            "Goethestraße",
            "Hafenstraße",
            "Mühlenweg",
        ),
        False,
        ("GmbH", "AG", "GmbH & Co. KG", "KG"),
        "de",
        (
            "Logistik",
            "Maschinenbau",
            "Solartechnik",
            "Medizintechnik",
            "Bau",
            "Software",
            "Feinkost",
            "Möbelwerke",
            "Druckerei",
            "Energie",
            "Elektrotechnik",
            "Metallbau",
        ),
        False,
    ),
    "GB": Country(
        "GB",
        "en",
        "+44",
        (
            "Oliver",
            "Amelia",
            "George",
            "Isla",
            "Harry",
            "Emily",
            "Jack",
            "Charlotte",
            "James",
            "Sophie",
            "Thomas",
            "Grace",
            "William",
            "Olivia",
            "Daniel",
            "Chloe",
        ),
        (
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Evans",
            "Thomas",
            "Roberts",
            "Walker",
            "Wright",
            "Hughes",
            "Green",
            "Hall",
            "Clarke",
            "Patel",
        ),
        (
            ("London", "EC1A 1BB", "20"),
            ("Manchester", "M1 1AE", "161"),
            ("Leeds", "LS1 4DY", "113"),
            ("Bristol", "BS1 4DJ", "117"),
            ("Glasgow", "G2 1DY", "141"),
            ("Reading", "RG1 1AX", "118"),
            ("Cambridge", "CB2 1RX", "1223"),
            ("Liverpool", "L3 1BY", "151"),
            ("Edinburgh", "EH1 1YZ", "131"),
        ),
        (
            "High Street",
            "Station Road",
            "Church Lane",
            "Park Row",
            "Queen Square",
            "Mill Road",
            "Victoria Street",
            "King's Road",
            "Market Place",
            "Bridge Street",
        ),
        True,
        ("Ltd", "plc", "LLP", "& Sons Ltd"),
        "co.uk",
        (
            "Logistics",
            "Engineering",
            "Solar",
            "Medical",
            "Construction",
            "Software",
            "Fine Foods",
            "Furniture",
            "Print",
            "Energy",
            "Electrical",
            "Metalworks",
        ),
        False,
    ),
    "ES": Country(
        "ES",
        "es",
        "+34",
        (
            "Alejandro",
            "Lucía",
            "Javier",
            "María",
            "Pablo",
            "Carmen",
            "Sergio",
            "Elena",
            "Diego",
            "Paula",
            "Álvaro",
            "Marta",
            "Jorge",
            "Laura",
            "Raúl",
            "Cristina",
        ),
        (
            "García",
            "Fernández",
            "González",
            "Rodríguez",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Ruiz",
            "Jiménez",
            "Navarro",
            "Torres",
            "Romero",
            "Vidal",
            "Castro",
        ),
        (
            ("Madrid", "28013", "91"),
            ("Barcelona", "08007", "93"),
            ("Valencia", "46002", "96"),
            ("Sevilla", "41001", "95"),
            ("Bilbao", "48001", "94"),
            ("Zaragoza", "50001", "976"),
            ("Málaga", "29015", "952"),
            ("Valladolid", "47001", "983"),
        ),
        (
            "Calle Mayor",
            "Calle de Alcalá",
            "Avenida de la Constitución",
            "Calle del Carmen",
            "Paseo de Gracia",
            "Calle de Colón",
            "Gran Vía",
            "Calle Real",
            "Avenida del Puerto",
            "Calle de la Paz",
        ),
        False,
        ("S.L.", "S.A.", "S.L.U."),
        "es",
        (
            "Logística",
            "Ingeniería",
            "Solar",
            "Suministros Médicos",
            "Construcciones",
            "Software",
            "Alimentación",
            "Muebles",
            "Artes Gráficas",
            "Energía",
            "Electricidad",
            "Metalurgia",
        ),
        True,
    ),
    "NL": Country(
        "NL",
        "nl",
        "+31",
        (
            "Daan",
            "Emma",
            "Sem",
            "Julia",
            "Lars",
            "Sanne",
            "Thijs",
            "Lotte",
            "Bram",
            "Fleur",
            "Joost",
            "Anouk",
            "Ruben",
            "Eva",
            "Pieter",
            "Femke",
        ),
        (
            "de Jong",
            "Jansen",
            "de Vries",
            "van den Berg",
            "Bakker",
            "Visser",
            "Smit",
            "Meijer",
            "de Boer",
            "Mulder",
            "Bos",
            "Vos",
            "Peters",
            "Hendriks",
            "van Dijk",
            "Dekker",
        ),
        (
            ("Amsterdam", "1017 BS", "20"),
            ("Rotterdam", "3011 AD", "10"),
            ("Utrecht", "3511 CE", "30"),
            ("Eindhoven", "5611 AB", "40"),
            ("Den Haag", "2511 CV", "70"),
            ("Groningen", "9711 LV", "50"),
            ("Leeuwarden", "8911 BD", "58"),
            ("Lisse", "2161 AB", "252"),
        ),
        (
            "Kerkstraat",
            "Dorpsstraat",
            "Stationsweg",
            "Molenweg",
            "Oudegracht",
            "Nieuwstraat",
            "Havenstraat",
            "Marktplein",
            "Wilhelminalaan",
            "Parallelweg",
        ),
        False,
        ("B.V.", "N.V.", "V.O.F."),
        "nl",
        (
            "Logistiek",
            "Machinebouw",
            "Zonne-energie",
            "Medische Techniek",
            "Bouw",
            "Software",
            "Voeding",
            "Meubelen",
            "Drukkerij",
            "Energie",
            "Installatietechniek",
            "Metaal",
        ),
        False,
    ),
    "FI": Country(
        "FI",
        "fi",
        "+358",
        (
            "Mikko",
            "Aino",
            "Juha",
            "Laura",
            "Antti",
            "Eveliina",
            "Ville",
            "Sanna",
            "Janne",
            "Kaisa",
            "Timo",
            "Noora",
            "Jukka",
            "Elina",
            "Petri",
            "Heidi",
        ),
        (
            "Korhonen",
            "Virtanen",
            "Mäkinen",
            "Nieminen",
            "Mäkelä",
            "Hämäläinen",
            "Laine",
            "Heikkinen",
            "Koskinen",
            "Järvinen",
            "Lehtonen",
            "Salminen",
            "Lehtinen",
            "Saarinen",
            "Niemi",
            "Kinnunen",
        ),
        (
            ("Helsinki", "00100", "9"),
            ("Tampere", "33100", "3"),
            ("Turku", "20100", "2"),
            ("Oulu", "90100", "8"),
            ("Espoo", "02100", "9"),
            ("Jyväskylä", "40100", "14"),
            ("Lappeenranta", "53100", "5"),
            ("Rovaniemi", "96200", "16"),
        ),
        (
            "Mannerheimintie",
            "Hämeenkatu",
            "Kauppakatu",
            "Rantatie",
            "Koulukatu",
            "Satamakatu",
            "Kirkkokatu",
            "Puistokatu",
            "Teollisuuskatu",
            "Valtakatu",
        ),
        False,
        ("Oy", "Oyj", "Ky"),
        "fi",
        (
            "Logistiikka",
            "Konepaja",
            "Aurinkoenergia",
            "Lääketekniikka",
            "Rakennus",
            "Ohjelmistot",
            "Elintarvike",
            "Huonekalu",
            "Painotalo",
            "Energia",
            "Sähkö",
            "Metalli",
        ),
        False,
    ),
    "NO": Country(
        "NO",
        "nb",
        "+47",
        (
            "Ole",
            "Ingrid",
            "Lars",
            "Kari",
            "Magnus",
            "Nora",
            "Henrik",
            "Silje",
            "Eirik",
            "Marte",
            "Sindre",
            "Ragnhild",
            "Håkon",
            "Ida",
            "Andreas",
            "Tone",
        ),
        (
            "Hansen",
            "Johansen",
            "Olsen",
            "Larsen",
            "Andersen",
            "Pedersen",
            "Nilsen",
            "Kristiansen",
            "Jensen",
            "Karlsen",
            "Berg",
            "Haugen",
            "Dahl",
            "Lie",
            "Strand",
            "Bakken",
        ),
        (
            ("Oslo", "0151", "22"),
            ("Bergen", "5003", "55"),
            ("Trondheim", "7011", "73"),
            ("Stavanger", "4006", "51"),
            ("Tromsø", "9008", "77"),
            ("Drammen", "3015", "32"),
            ("Kristiansand", "4611", "38"),
            ("Lillehammer", "2609", "61"),
        ),
        (
            "Storgata",
            "Kirkegata",
            "Strandgata",
            "Bryggen",
            "Kongens gate",
            "Dronningens gate",
            "Torggata",
            "Skolegata",
            "Industriveien",
            "Havnegata",
        ),
        False,
        ("AS", "ASA"),
        "no",
        (
            "Logistikk",
            "Mekaniske",
            "Solenergi",
            "Medisinsk",
            "Bygg",
            "Programvare",
            "Mat",
            "Møbler",
            "Trykkeri",
            "Energi",
            "Elektro",
            "Metall",
        ),
        False,
    ),
}
COUNTRY_CODES = tuple(COUNTRIES)

JOB_TITLES = (
    "Managing Director",
    "Chief Financial Officer",
    "Head of Purchasing",
    "Procurement Specialist",
    "IT Manager",
    "Operations Director",
    "Project Manager",
    "Head of Sales",
    "Office Manager",
    "Facility Manager",
    "Head of Logistics",
    "Marketing Manager",
    "Chief Technology Officer",
    "Production Manager",
)

# The companies of the demo data: name, country, city, post code, street and number, area code.
DEMO_COMPANIES = [
    ("Nordwind Logistik GmbH", "DE", "Hamburg", "20457", "Am Sandtorkai 41", "40"),
    ("Bäckerei Müller & Söhne KG", "DE", "München", "80331", "Sendlinger Straße 12", "89"),
    ("Elbtal Maschinenbau AG", "DE", "Dresden", "01067", "Ostra-Allee 9", "351"),
    ("Schwarzwald Solar GmbH", "DE", "Freiburg im Breisgau", "79098", "Kaiser-Joseph-Straße 240", "761"),
    ("Kranich Medizintechnik GmbH", "DE", "Berlin", "10115", "Invalidenstraße 117", "30"),
    ("Hanse Kaffeerösterei GmbH", "DE", "Bremen", "28195", "Langenstraße 30", "421"),
    ("Weserland Möbelwerke GmbH & Co. KG", "DE", "Hameln", "31785", "Hafenstraße 6", "5151"),
    ("Thames Valley Analytics Ltd", "GB", "Reading", "RG1 1AX", "12 King's Road", "118"),
    ("Pennine Outdoor Gear Ltd", "GB", "Leeds", "LS1 4DY", "27 Park Row", "113"),
    ("Harbour & Finch Architects LLP", "GB", "Bristol", "BS1 4DJ", "5 Queen Square", "117"),
    ("Caledonian Water Systems Ltd", "GB", "Glasgow", "G2 1DY", "140 West George Street", "141"),
    ("Oakridge Veterinary Group plc", "GB", "Cambridge", "CB2 1RX", "8 Trumpington Street", "1223"),
    ("Greenwich Print Works Ltd", "GB", "London", "SE10 9NF", "48 Creek Road", "20"),
    ("Mersey Marine Supplies Ltd", "GB", "Liverpool", "L3 1BY", "1 Mann Island", "151"),
    ("Cotswold Fine Foods Ltd", "GB", "Cheltenham", "GL50 1DB", "21 Promenade", "1242"),
    ("Construcciones Levante S.L.", "ES", "Valencia", "46002", "Calle de Colón 18", "96"),
    ("Olivares del Sur S.A.", "ES", "Sevilla", "41001", "Avenida de la Constitución 24", "95"),
    ("Textiles Montserrat S.L.", "ES", "Barcelona", "08007", "Passeig de Gràcia 55", "93"),
    ("Bodegas Ribera Alta S.A.", "ES", "Valladolid", "47001", "Calle de Santiago 7", "983"),
    ("Clínica Dental Retiro S.L.P.", "ES", "Madrid", "28009", "Calle de O'Donnell 34", "91"),
    ("Transportes Cantábrico S.A.", "ES", "Bilbao", "48001", "Gran Vía 45", "94"),
    ("Van der Berg Installatietechniek B.V.", "NL", "Utrecht", "3511 CE", "Oudegracht 150", "30"),
    ("Tulpenveld Kwekerij B.V.", "NL", "Lisse", "2161 AB", "Heereweg 300", "252"),
    ("Havenkraan Rotterdam B.V.", "NL", "Rotterdam", "3011 AD", "Wijnhaven 60", "10"),
    ("De Groene Fiets B.V.", "NL", "Amsterdam", "1017 BS", "Weteringschans 85", "20"),
    ("Brabant Zuivel Coöperatie U.A.", "NL", "Eindhoven", "5611 AB", "Stratumseind 12", "40"),
    ("Friesland Dakwerken B.V.", "NL", "Leeuwarden", "8911 BD", "Nieuwestad 41", "58"),
    ("Saimaa Puutuote Oy", "FI", "Lappeenranta", "53100", "Valtakatu 33", "5"),
    ("Revontuli Software Oy", "FI", "Oulu", "90100", "Kirkkokatu 14", "8"),
    ("Helsingin Kahvipaahtimo Oy", "FI", "Helsinki", "00100", "Mannerheimintie 20", "9"),
    ("Tampereen Koneistus Oy", "FI", "Tampere", "33100", "Hämeenkatu 25", "3"),
    ("Lapin Matkailu Oy", "FI", "Rovaniemi", "96200", "Koskikatu 9", "16"),
    ("Turun Telakkapalvelut Oy", "FI", "Turku", "20100", "Linnankatu 52", "2"),
    ("Fjordlys Maritim AS", "NO", "Bergen", "5003", "Bryggen 15", "55"),
    ("Nordlys Fiskeri AS", "NO", "Tromsø", "9008", "Storgata 88", "77"),
    ("Trondheim Bygg og Anlegg AS", "NO", "Trondheim", "7011", "Munkegata 26", "73"),
    ("Oslo Designhus AS", "NO", "Oslo", "0151", "Karl Johans gate 14", "22"),
    ("Stavanger Energiteknikk AS", "NO", "Stavanger", "4006", "Kirkegata 20", "51"),
    ("Lillehammer Sport AS", "NO", "Lillehammer", "2609", "Storgata 50", "61"),
]
# A company entered twice (by the web shop), for the duplicate search to find.
DEMO_DUPLICATE = ("Nordwind Logistik", 0)

_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d", "ł": "l"})
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def ascii_slug(text: str, country: str = "", separator: str = "") -> str:
    """ "Müller & Söhne KG" → "muellersoehnekg" (German umlauts spelled out, other accents dropped)."""
    if country == "DE":
        text = text.translate(_GERMAN)
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    words = ["".join(ch for ch in word if ch.isascii() and ch.isalnum()) for word in text.lower().split()]
    return separator.join(word for word in words if word)


LEGAL_FORMS = {
    "gmbh",
    "ag",
    "kg",
    "co",
    "ltd",
    "plc",
    "llp",
    "sl",
    "sa",
    "slp",
    "slu",
    "bv",
    "nv",
    "ua",
    "oy",
    "oyj",
    "ky",
    "as",
    "asa",
    "vof",
}


def company_domain(name: str, country: str) -> str:
    """A web domain for a company name ("Nordwind Logistik GmbH", DE → "nordwind-logistik.de")."""
    words = [ascii_slug(word, country) for word in name.replace("&", " ").split()]
    words = [word for word in words if word and word not in LEGAL_FORMS]
    return "-".join(words[:3]) + "." + COUNTRIES[country].tld


# Digits of a national number (area code included).
NATIONAL_DIGITS = {"DE": 10, "GB": 10, "ES": 9, "NL": 9, "FI": 9, "NO": 8}


def phone(rng: random.Random, country: str, area: str) -> str:
    """A phone number in international format, e.g. "+49 40 3290 1107" or "+47 22 12 34 56"."""
    count = NATIONAL_DIGITS[country] - len(area)
    number = "".join(str(rng.randint(0, 9)) for _ in range(count))
    if country == "NO":
        groups = [number[i : i + 2] for i in range(0, len(number), 2)]
    else:
        half = len(number) // 2
        groups = [number[:half], number[half:]]
    return " ".join([COUNTRIES[country].dial, area, *groups])


def mobile(rng: random.Random, country: str) -> str:
    prefix = {"DE": "151", "GB": "7700", "ES": "6", "NL": "6", "FI": "40", "NO": "9"}[country]
    number = "".join(str(rng.randint(0, 9)) for _ in range(8))
    return f"{COUNTRIES[country].dial} {prefix} {number[:4]} {number[4:]}"


def vat_number(rng: random.Random, country: str, name: str = "") -> str:
    def digits(count: int) -> str:
        return "".join(str(rng.randint(0, 9)) for _ in range(count))

    if country == "ES":
        return f"ES{'A' if 'S.A.' in name else 'B'}{digits(8)}"
    if country == "NL":
        return f"NL{digits(9)}B01"
    if country == "NO":
        return f"NO{digits(9)}MVA"
    if country == "FI":
        return f"FI{digits(8)}"
    return f"{country}{digits(9)}"


def street_address(rng: random.Random, country: str) -> str:
    info = COUNTRIES[country]
    street, number = rng.choice(info.streets), rng.randint(1, 180)
    return f"{number} {street}" if info.street_number_first else f"{street} {number}"


def person_email(first_name: str, surname: str, domain: str, country: str) -> str:
    return f"{ascii_slug(first_name, country)}.{ascii_slug(surname, country)}@{domain}"


def company_name(rng: random.Random, country: str) -> str:
    info = COUNTRIES[country]
    surname, sector = rng.choice(info.surnames), rng.choice(info.sectors)
    core = f"{sector} {surname}" if info.sector_first else f"{surname} {sector}"
    return f"{core[0].upper()}{core[1:]} {rng.choice(info.company_suffixes)}"
